package catalog

import (
	"encoding/json"
	"strings"
	"testing"
)

const okServer = `name: x
image: ex/x
type: server
source:
  project: https://example.com/x
  commit: 0123456789abcdef0123456789abcdef01234567
`

// TestParseInline covers decoding features and rules with small inline inputs; each
// case lists the exact diagnostics ("" for a valid entry).
func TestParseInline(t *testing.T) {
	tests := []struct {
		name, in  string
		wantErr   string
		wantWarns string
	}{
		{"valid", okServer, "", ""},
		{"merge key and anchors", `base: &src
  project: https://example.com/x
  commit: 0123456789abcdef0123456789abcdef01234567
name: x
image: ex/x
type: server
source:
  <<: *src
  directory: sub
`, "", `p:1:1: base: unknown key "base" (not in Docker's server.yaml schema, which ignores it)`},
		{"merge list, explicit key wins", `name: x
image: ex/x
type: server
source:
  <<: [{project: https://example.com/x, commit: main}, {directory: a}]
  commit: 0123456789abcdef0123456789abcdef01234567
`, "", ""},
		{"merge of a scalar", okServer + "run:\n  <<: 3\n", "p:8:7: run: merge key value must be a mapping, got int 3", ""},
		{"duplicate key in free-form value", okServer + "config:\n  parameters:\n    properties:\n      a:\n        default: {k: 1, k: 2}\n",
			`p:11:25: config.parameters.properties.a.default.k: duplicate key "k" (first at 11:19)`, ""},
		{"duplicate property", okServer + "config:\n  parameters:\n    properties:\n      a: {}\n      a: {}\n",
			`p:11:7: config.parameters.properties.a: duplicate key "a" (first at 10:7)`, ""},
		{"non-string key", okServer + "? [a]\n: b\n", "p:7:3: mapping keys must be strings, got a list", ""},
		{"remote block on a server", okServer + "remote:\n  url: https://example.com/mcp\n",
			"p:8:3: remote: is only allowed for type remote, but the type is server", ""},
		{"bad free-form scalar", okServer + "config:\n  env:\n    - name: A\n      example: !!int abc\n",
			`p:10:16: config.env[0].example: invalid !!int value "abc"`, ""},
		{"binary scalar in free-form", okServer + "config:\n  env:\n    - name: A\n      example: !!binary aGk=\n", "", ""},
		{"deep nesting", okServer + "config:\n  parameters:\n    default: " + strings.Repeat("[", 70) + strings.Repeat("]", 70) + "\n",
			"p:9:76: config.parameters.default" + strings.Repeat("[0]", 62) + ": nesting deeper than 64 levels", ""},
		{"CRLF line ends", strings.ReplaceAll(okServer, "\n", "\r\n") + "image2: x\r\n", "", `p:7:1: image2: unknown key "image2" (not in Docker's server.yaml schema, which ignores it)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, warns, err := Parse("p", []byte(tt.in), Options{})
			got := ""
			if err != nil {
				got = err.Error()
			}
			// "p" has no folder, so the name is not compared with one.
			if got != tt.wantErr {
				t.Errorf("errors:\n%s\nwant:\n%s", got, tt.wantErr)
			}
			var w []string
			for _, d := range warns {
				w = append(w, d.Error())
			}
			if g := strings.Join(w, "\n"); g != tt.wantWarns {
				t.Errorf("warnings:\n%s\nwant:\n%s", g, tt.wantWarns)
			}
		})
	}
}

func TestParseMergeValues(t *testing.T) {
	in := "src: &s\n  project: https://example.com/x\n  commit: main\nname: x\nimage: ex/x\ntype: server\nsource:\n  <<: *s\n  commit: 0123456789abcdef0123456789abcdef01234567\n"
	s, _, err := Parse("p", []byte(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Source.Project != "https://example.com/x" || s.Source.Commit != "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("source = %+v, want project from the merge and the explicit commit", s.Source)
	}
}

func TestServerJSONKeepsPropertyOrder(t *testing.T) {
	in := okServer + "config:\n  parameters:\n    type: object\n    properties:\n      zeta: {type: string}\n      alpha: {type: integer, default: 3}\n"
	s, _, err := Parse("p", []byte(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s.Config.Parameters)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"object","properties":{"zeta":{"type":"string"},"alpha":{"type":"integer","default":3}}}`
	if string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
}
