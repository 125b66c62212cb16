package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

var update = flag.Bool("update", false, "rewrite testdata/validate/*.golden from the current output")

// validateCatalog holds two valid entries (one with a tagged image), two broken ones and one
// whose keys carry characters that GitHub and terminals would interpret.
const validateCatalog = "testdata/validate/servers/..."

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s mismatch\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestValidateGolden: every error and warning of every file, in each format, and exit 1.
func TestValidateGolden(t *testing.T) {
	for _, format := range []string{"text", "json", "github", "markdown"} {
		t.Run(format, func(t *testing.T) {
			out, stderr, code, err := run(t, "validate", "-o", format, validateCatalog)
			if code != cliutil.ExitFailed {
				t.Errorf("exit %d (%v), want 1", code, err)
			}
			if err == nil || err.Error() != "5 errors in 2 of 5 files (5 warnings)" {
				t.Errorf("error %v, want the summary", err)
			}
			if stderr != "" {
				t.Errorf("stderr %q: the summary is the error main prints", stderr)
			}
			compareGolden(t, filepath.Join("testdata", "validate", format+".golden"), out)
		})
	}
}

// TestValidateJSONShape decodes the JSON document and checks its counts agree.
func TestValidateJSONShape(t *testing.T) {
	out, _, _, _ := run(t, "validate", "-o", "json", validateCatalog)
	var doc diagnosticsJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.MediaType != "application/vnd.mcpbuild.diagnostics.v1+json" || doc.Valid || len(doc.Files) != 5 || doc.Errors != 5 || doc.Warnings != 5 {
		t.Errorf("document = %+v", doc)
	}
	n := map[string]int{}
	for _, d := range doc.Diagnostics {
		n[d.Severity]++
		if d.Path == "" || d.Line < 1 || d.Col < 1 || d.Message == "" {
			t.Errorf("diagnostic without a position: %+v", d)
		}
	}
	if n["error"] != doc.Errors || n["warning"] != doc.Warnings {
		t.Errorf("diagnostics %v, totals %d errors %d warnings", n, doc.Errors, doc.Warnings)
	}
}

// TestValidateWarningsAndStrict: warnings only is exit 0; --strict makes them errors.
func TestValidateWarningsAndStrict(t *testing.T) {
	pats := []string{"testdata/validate/servers/good", "testdata/validate/servers/tagged"}
	out, stderr, code, err := run(t, append([]string{"validate"}, pats...)...)
	want := `testdata/validate/servers/tagged/server.yaml:2:8: warning: image: "ghcr.io/example/tagged:1.2" carries a tag (":1.2"), which mcpbuild drops: it pushes ghcr.io/example/tagged by digest, tagged with its own --tag (default latest)` + "\n"
	if code != cliutil.ExitOK || out != want || stderr != "mcpbuild: 2 files valid (1 warning)\n" {
		t.Errorf("warnings only: exit %d (%v), stdout %q, stderr %q", code, err, out, stderr)
	}
	out, _, code, err = run(t, append([]string{"validate", "--strict"}, pats...)...)
	if code != cliutil.ExitFailed || out != strings.Replace(want, ": warning: ", ": ", 1) || err.Error() != "1 error in 1 of 2 files (0 warnings)" {
		t.Errorf("--strict: exit %d (%v), stdout %q", code, err, out)
	}
	out, _, code, _ = run(t, "validate", "--strict", "-o", "github", "testdata/validate/servers/tagged")
	if code != cliutil.ExitFailed || !strings.HasPrefix(out, "::error file=testdata/validate/servers/tagged/server.yaml,line=2,col=8::image: ") {
		t.Errorf("--strict -o github: exit %d, stdout %q", code, out)
	}
	if out, stderr, code, _ = run(t, "validate", "-o", "github", "testdata/validate/servers/good"); code != 0 || out != "" || stderr != "mcpbuild: 1 file valid (0 warnings)\n" {
		t.Errorf("valid: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// TestValidateUsage: bad flags and patterns are exit 2 with nothing on stdout.
func TestValidateUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"validate"}, "no PATTERN"},
		{[]string{"validate", "-o", "sarif", validateCatalog}, `--output "sarif": want text, json, github or markdown`},
		{[]string{"validate", "--nope", validateCatalog}, "unknown flag"},
		{[]string{"validate", "testdata/validate/nowhere"}, "testdata/validate/nowhere: pattern matches nothing"},
		{[]string{"validate", "-o", "json", validateCatalog, "testdata/validate/servers"}, "no server.yaml in this directory"},
	} {
		out, _, code, err := run(t, tc.args...)
		if code != cliutil.ExitUsage || err == nil || !strings.Contains(err.Error(), tc.want) || out != "" {
			t.Errorf("mcpbuild %q: exit %d, err %v, stdout %q; want exit 2, %q, no stdout", tc.args, code, err, out, tc.want)
		}
	}
}

// TestGithubAnnotationEscaping: a path with ',', ':' and '%', and a message with '%' and
// characters catalog escapes, give one annotation that GitHub reads back as written.
func TestGithubAnnotationEscaping(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a,b:c%d", "servers", "x")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := "name: x\nimage: ex/x\ntype: server\nsource:\n  project: https://example.com/x\n  commit: 0123456789abcdef0123456789abcdef01234567\n" +
		"\"k%0A::error::\\e]8;;\\u202e\\r\\n\": 1\n"
	if err := os.WriteFile(filepath.Join(dir, "server.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code, err := run(t, "validate", "-o", "github", dir)
	path := strings.NewReplacer("%", "%25", ",", "%2C", ":", "%3A").Replace(filepath.Join(dir, "server.yaml"))
	want := "::warning file=" + path + ",line=7,col=1::" +
		`k%250A::error::\x1b]8;;\u202e\r\n: unknown key "k%250A::error::\x1b]8;;\u202e\r\n" (not in Docker's server.yaml schema, which ignores it)` + "\n"
	if code != cliutil.ExitOK || out != want {
		t.Errorf("exit %d (%v)\n got %q\nwant %q", code, err, out, want)
	}
	if strings.Count(out, "\n") != 1 || strings.ContainsAny(out, "\x1b\r\u202e") {
		t.Errorf("annotation is not one escaped line: %q", out)
	}
}

// TestValidateMarkdownHostile: a file whose path, key and message hold table breakers,
// markup, mentions, issue references, SHAs and control characters gives one table row
// per diagnostic in which all of it is inside code spans.
func TestValidateMarkdownHostile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a|b @octocat #12", "servers", "x")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := "name: x\nimage: ex/x\ntype: server\nsource:\n  project: https://example.com/x\n  commit: 0123456789abcdef0123456789abcdef01234567\n" +
		"\"k|`@octocat` #1 [a](https://evil.example) 0123456789abcdef0123456789abcdef01234567 \\e]8;;\\u202e\\r\\n\": 1\n"
	if err := os.WriteFile(filepath.Join(dir, "server.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code, err := run(t, "validate", "--strict", "-o", "markdown", dir)
	if code != cliutil.ExitFailed {
		t.Fatalf("exit %d (%v), want 1", code, err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 || lines[0] != "## mcpbuild validate: ❌ 1 error in 1 of 1 file" ||
		lines[2] != "**1 file: 1 error, 0 warnings** (--strict: warnings are errors)" {
		t.Fatalf("report:\n%s", out)
	}
	row := lines[6]
	if n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(row, -1)); n != 4 {
		t.Errorf("row has %d unescaped pipes, want 4: %q", n, row)
	}
	if outside := outsideCodeSpans(row); strings.ContainsAny(outside, "@#[0") {
		t.Errorf("markup outside code spans: %q in %q", outside, row)
	}
	if !strings.Contains(row, ":7:1` | ❌ error | ") || strings.ContainsAny(out, "\x1b\r\u202e") {
		t.Errorf("row %q", row)
	}
}
