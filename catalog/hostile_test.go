package catalog

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// hostileRunes are characters that must never reach a build context, a label, a signed
// claim or a log line through an identifier field: C0 and C1 controls (terminal escapes,
// line breaks, NUL), DEL, Unicode line and paragraph separators, bidi embeddings,
// overrides, isolates and marks (Trojan Source), zero-width and other invisible format
// characters, tag characters (invisible ASCII look-alikes), non-ASCII spaces and
// noncharacters.
var hostileRunes = []rune{
	0x00, 0x07, 0x08, 0x09, 0x0A, 0x0D, 0x1B, 0x7F,
	0x85, 0x9B, 0xA0, 0xAD,
	0x061C, 0x180E, 0x200B, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029,
	0x202A, 0x202E, 0x2060, 0x2066, 0x2069, 0x3000, 0xFEFF, 0xFFF9, 0xFFFE, 0x1D173, 0xE0001, 0xE0041,
}

// hostileServer is a valid entry with every identifier field set (by Sprintf).
const hostileServer = `name: %s
image: %s
type: server
source:
  project: %s
  upstream: %s
  branch: %s
  commit: %s
  directory: %s
  dockerfile: %s
  buildTarget: %s
tools:
  - name: t
    container:
      image: %s
`

var hostileFields = []string{
	"name", "image", "source.project", "source.upstream", "source.branch", "source.commit",
	"source.directory", "source.dockerfile", "source.buildTarget", "tools[0].container.image",
}

var hostileDefaults = map[string][2]string{ // field -> value around the hostile rune
	"name":                     {"x", ""},
	"image":                    {"ex/", "x"},
	"source.project":           {"git@github.com:ex/", "x.git"},
	"source.upstream":          {"https://github.com/up/", "x"},
	"source.branch":            {"ma", "in"},
	"source.commit":            {"0123456789abcdef0123456789abcdef01234567", ""},
	"source.directory":         {"src/", "x"},
	"source.dockerfile":        {"Dockerfile", ".mcp"},
	"source.buildTarget":       {"run", "time"},
	"tools[0].container.image": {"alpine/", "curl:3"},
}

// yamlQuote writes s as a YAML double-quoted scalar, escaping every non-ASCII or
// non-printable rune.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7F:
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, `\U%08X`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// hostileEntry returns the entry with field set to prefix+r+suffix (YAML-escaped).
func hostileEntry(field string, r rune) string {
	var args []any
	for _, f := range hostileFields {
		v := hostileDefaults[f][0] + hostileDefaults[f][1]
		if f == field {
			v = hostileDefaults[f][0] + string(r) + hostileDefaults[f][1]
		}
		args = append(args, yamlQuote(v))
	}
	return fmt.Sprintf(hostileServer, args...)
}

// TestHostileCharacters puts each hostile character into each identifier field and
// expects exactly one error, at that field's value, naming the character.
func TestHostileCharacters(t *testing.T) {
	const path = "servers/x/server.yaml"
	valid := hostileEntry("", 0)
	if _, _, err := Parse(path, []byte(valid), Options{Strict: true}); err != nil {
		t.Fatalf("template entry is not valid: %v\n%s", err, valid)
	}
	for _, field := range hostileFields {
		for _, r := range hostileRunes {
			in := hostileEntry(field, r)
			s, _, err := Parse(path, []byte(in), Options{Strict: true})
			if err == nil {
				t.Errorf("%s with %U: accepted (value %q)", field, r, hostileDefaults[field][0]+string(r)+hostileDefaults[field][1])
				continue
			}
			errs := unjoin(err)
			var d *Diagnostic
			if len(errs) != 1 || !errors.As(errs[0], &d) {
				t.Errorf("%s with %U: want one diagnostic, got %v", field, r, err)
				continue
			}
			line, col := s.Position(field)
			want := fmt.Sprintf("%U", r)
			if d.Field != field || d.Line != line || d.Col != col || !strings.Contains(d.Message, want) {
				t.Errorf("%s with %U: got %q, want it at %s:%d:%d naming %s", field, r, d.Error(), field, line, col, want)
			}
			if strings.ContainsRune(d.Error(), r) {
				t.Errorf("%s with %U: the diagnostic repeats the character raw: %q", field, r, d.Error())
			}
		}
	}
}

func TestCheckText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"src/café/Dockerfile", ""},
		{"服务/x", ""},
		{"a b", ""},
		{"a\x00b", "control character U+0000"},
		{"a\tb", "control character U+0009"},
		{"a\x1b[2Jb", "control character U+001B"},
		{"a\u0085b", "control character U+0085"},
		{"a\u2028b", "line or paragraph separator U+2028"},
		{"a\u2029b", "line or paragraph separator U+2029"},
		{"a\u202eb", "bidirectional control U+202E"},
		{"a\u2067b", "bidirectional control U+2067"},
		{"a\u200fb", "bidirectional control U+200F"},
		{"a\u200bb", "invisible format character U+200B"},
		{"a\U000E0041b", "invisible format character U+E0041"},
		{"a\u00a0b", "non-ASCII space U+00A0"},
		{"a\uFFFEb", "noncharacter U+FFFE"},
		{"a\xffb", "invalid UTF-8 (byte 0xff)"},
	} {
		got := checkText(tt.in)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("checkText(%q) = %q, want containing %q", tt.in, got, tt.want)
		}
	}
}

// TestDiagnosticsEscapeHostileText checks that no diagnostic prints a hostile character
// raw, wherever it comes from: a key the file spells with escapes (it becomes part of the
// field path), or the file's path (a folder name from the repository).
func TestDiagnosticsEscapeHostileText(t *testing.T) {
	const props = okServer + "config:\n  parameters:\n    properties:\n      \"a\\e[2J\\u202eb\\nc\":\n        default: !!int x\n"
	for _, tt := range []struct{ path, in, want string }{
		{"p", props, `p:11:18: config.parameters.properties.a\x1b[2J\u202eb\nc.default: invalid !!int value "x"`},
		{"p", "!t a\u202e\n\nb", `p:1:1: top level must be a mapping of server.yaml keys, got !t a\u202e\nb`},
		{"servers/x\x1b]8;;\u2028/server.yaml", "name: x\n", `servers/x\x1b]8;;\u2028/server.yaml:1:1: type: is required (server, remote or poci)`},
	} {
		_, _, err := Parse(tt.path, []byte(tt.in), Options{})
		if err == nil {
			t.Fatalf("Parse(%q) accepted", tt.in)
		}
		got := unjoin(err)[0].Error()
		if got != tt.want {
			t.Errorf("Parse(%q):\n got %s\nwant %s", tt.in, got, tt.want)
		}
		for _, e := range unjoin(err) {
			if msg := checkText(e.Error()); msg != "" {
				t.Errorf("diagnostic holds a hostile character: %s", msg)
			}
		}
	}
}
