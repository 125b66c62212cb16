package catalog

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var updatePinGolden = flag.Bool("update-pinedit", false, "rewrite testdata/pinedit/*.golden")

const (
	editOld = "1042fbfc49f0784062a615b2a0bf626686da429b"
	editNew = "f3bf51cad780e93dbee5cb021507ea3e37068c19"
)

// TestSetCommitGolden edits every testdata/pinedit/*.yaml and compares with its .golden,
// which must equal the input byte for byte once the hash is put back.
func TestSetCommitGolden(t *testing.T) {
	ins, _ := filepath.Glob("testdata/pinedit/*.yaml")
	if len(ins) < 3 {
		t.Fatalf("%d inputs in testdata/pinedit", len(ins))
	}
	for _, in := range ins {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := SetCommit(in, data, editOld, editNew)
			if err != nil {
				t.Fatalf("SetCommit() = %v", err)
			}
			golden := strings.TrimSuffix(in, ".yaml") + ".golden"
			if *updatePinGolden {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("SetCommit() =\n%s\nwant (%s)\n%s", got, golden, want)
			}
			if bytes.Count(want, []byte(editNew)) != 1 || !bytes.Equal(bytes.Replace(want, []byte(editNew), []byte(editOld), 1), data) {
				t.Errorf("%s differs from %s by more than the hash", golden, in)
			}
			var m struct {
				Source struct{ Commit string } `yaml:"source"`
			}
			if err := yaml.Unmarshal(got, &m); err != nil || m.Source.Commit != editNew {
				t.Errorf("edited file reads as commit %q, %v; want %s", m.Source.Commit, err, editNew)
			}
		})
	}
}

func TestSetCommitRefuses(t *testing.T) {
	const o = editOld
	tests := map[string]struct{ yaml, in string }{
		"duplicate commit": {"name: x\nsource:\n  commit: " + o + "\n  commit: " + o + "\n", "4:3: source.commit: given twice"},
		"duplicate source": {"source:\n  commit: " + o + "\nsource:\n  commit: " + o + "\n", "3:1: source: given twice"},
		"anchored source":  {"source: &s\n  commit: " + o + "\n", "alias, anchor or tag"},
		"aliased source":   {"base: &s\n  commit: " + o + "\nsource: *s\n", "3:1: source: merge keys and aliases"},
		"merge key":        {"base: &s\n  commit: " + o + "\nsource:\n  <<: *s\n  commit: " + o + "\n", "merge keys"},
		"anchored commit":  {"source:\n  commit: &c " + o + "\n", "2:11: source.commit: not a plain string"},
		"tagged commit":    {"source:\n  commit: !!str " + o + "\n", "not a plain string"},
		"literal block":    {"source:\n  commit: |\n    " + o + "\n", "2:11: source.commit: a block"},
		"other value":      {"source:\n  commit: " + editNew + "\n", "the file changed since it was read"},
		"two documents":    {"source:\n  commit: " + o + "\n---\nsource:\n  commit: " + o + "\n", "more than one YAML document"},
		"no commit":        {"source:\n  project: x\n", "source.commit: missing"},
		"not a mapping":    {"- source\n", "not a plain mapping"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := SetCommit("servers/x/server.yaml", []byte(tt.yaml), editOld, editNew)
			var d *Diagnostic
			if !errors.As(err, &d) || !strings.Contains(err.Error(), tt.in) || !strings.HasPrefix(err.Error(), "servers/x/server.yaml") {
				t.Errorf("SetCommit() = %v, want a diagnostic containing %q", err, tt.in)
			}
		})
	}
	if _, err := SetCommit("p", []byte("source:\n  commit: "+o+"\n"), o, "HEAD"); err == nil {
		t.Errorf("SetCommit(new = HEAD) = nil error")
	}
}
