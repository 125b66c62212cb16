package catalog

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/*/want.txt and warn.txt from the current output")

// TestBadCases loads each testdata/bad/<case>/... and compares the diagnostics exactly
// with want.txt (errors) and warn.txt (warnings; absent means none). A file named
// "strict" in the case folder loads it with Options.Strict. Paths are relative to the
// repository root.
func TestBadCases(t *testing.T) {
	t.Chdir("..")
	entries, err := os.ReadDir("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		dir := filepath.Join("testdata/bad", e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			_, statErr := os.Stat(filepath.Join(dir, "strict"))
			servers, warns, err := Load([]string{dir + "/..."}, Options{Strict: statErr == nil})
			if err == nil {
				t.Fatalf("Load(%s) = %d servers, no error; want the errors of want.txt", dir, len(servers))
			}
			var d *Diagnostic
			for _, e := range unjoin(err) {
				if !errors.As(e, &d) {
					t.Errorf("error %q is not a *Diagnostic", e)
				}
			}
			var w []string
			for _, d := range warns {
				w = append(w, d.Error())
			}
			compareGolden(t, filepath.Join(dir, "want.txt"), err.Error())
			compareGolden(t, filepath.Join(dir, "warn.txt"), strings.Join(w, "\n"))
		})
	}
	if n < 25 {
		t.Errorf("testdata/bad has %d cases, want at least 25", n)
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// compareGolden compares got with the file (a missing file stands for "").
func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if got == "" {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			return
		}
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if w := strings.TrimSuffix(string(want), "\n"); got != w {
		t.Errorf("%s mismatch\n got:\n%s\nwant:\n%s", path, got, w)
	}
}

func TestUnknownKeysWarnByDefault(t *testing.T) {
	servers, warns, err := Load([]string{"../testdata/bad/unknown-key-strict"}, Options{})
	if err != nil || len(servers) != 1 {
		t.Fatalf("Load = %d servers, %v; want the entry and only warnings", len(servers), err)
	}
	var got []string
	for _, w := range warns {
		got = append(got, w.Error())
	}
	want := []string{
		`../testdata/bad/unknown-key-strict/server.yaml:9:1: licence: unknown key "licence" (not in Docker's server.yaml schema, which ignores it)`,
		`../testdata/bad/unknown-key-strict/server.yaml:11:3: run.ports: unknown key "ports" (not in Docker's server.yaml schema, which ignores it)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestFileSizeLimit checks the 1 MiB limit on both entry points: a file of exactly
// 1 MiB loads, one byte more is refused before it is parsed.
func TestFileSizeLimit(t *testing.T) {
	entry := "name: big\ntype: remote\nremote:\n  url: https://example.com/mcp\n  transport_type: sse\n"
	pad := func(n int) []byte {
		b := []byte(entry)
		for len(b) < n {
			b = append(b, "# padding padding padding padding padding padding padding padding\n"...)
		}
		b = b[:n-1]
		return append(b, '\n')
	}
	dir := filepath.Join(t.TempDir(), "big")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "server.yaml")
	for _, tt := range []struct {
		size    int
		wantErr string
	}{
		{MaxFileSize, ""},
		{MaxFileSize + 1, file + ":1:1: file is 1048577 bytes, over the 1048576-byte (1 MiB) limit"},
	} {
		data := pad(tt.size)
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, loadErr := Load([]string{dir}, Options{})
		_, _, parseErr := Parse(file, data, Options{})
		for what, err := range map[string]error{"Load": loadErr, "Parse": parseErr} {
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("%s(%d bytes) error = %q, want %q", what, tt.size, got, tt.wantErr)
			}
		}
	}
}
