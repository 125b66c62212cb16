package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/repro"
)

// reproReports is one report of each status, with hostile values where a registry or a
// catalog supplies them: file paths, label keys and values, platforms, reasons.
func reproReports() []repro.Report {
	const d1 = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	const d2 = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	two := 2
	var files []repro.FileDiff
	for _, p := range []string{"app/main.py", "evil|`x`\n@octocat #12 [a](https://evil.example)", "gone", "new"} {
		files = append(files, repro.FileDiff{Path: p, Fields: []string{"content", "mtime"},
			Detail: "content sha256:0123456789ab -> sha256:fedcba987654; mtime 2023-11-14T22:13:20Z -> 2023-11-14T23:13:20Z"})
	}
	files[2] = repro.FileDiff{Path: "gone", Only: "published"}
	files[3] = repro.FileDiff{Path: "new", Only: "rebuilt"}
	return []repro.Report{
		{Name: "alpha", Commit: testPin, Status: repro.Reproducible, Published: "registry.example/mcp/alpha@" + d1, Rebuilt: "registry.example/mcp/alpha@" + d1},
		{Name: "beta", Commit: testPin, Status: repro.Different, Published: "registry.example/mcp/beta@" + d1, Rebuilt: "registry.example/mcp/beta@" + d2,
			Difference: &repro.Difference{Kind: repro.KindConfig, Path: `config.Labels["@octocat|#1\u202e"]`, Published: "(absent)", Rebuilt: `"` + d1[7:47] + ` **x**"`}},
		{Name: "gamma", Commit: testPin, Status: repro.Different, Published: "registry.example/mcp/gamma@" + d1, Rebuilt: "registry.example/mcp/gamma@" + d2,
			Difference: &repro.Difference{Kind: repro.KindLayer, Platform: "linux/arm64", Layer: &two, Published: d1, Rebuilt: d2, Files: files, MoreFiles: 7}},
		{Name: "delta", Commit: testPin, Status: repro.NotPublished, Published: "registry.example/mcp/delta:latest"},
		{Name: "evil|`<b>`\x1b[2J", Status: repro.Failed, Reason: "reading manifest: 500 </td>| @octocat\r\nline 2"},
	}
}

func TestReproOutputGolden(t *testing.T) {
	for _, format := range []string{"text", "markdown"} {
		var b strings.Builder
		if err := writeRepro(&b, format, reproReports()); err != nil {
			t.Fatal(err)
		}
		compareGolden(t, "testdata/repro/report."+format+".golden", b.String())
		if strings.ContainsAny(b.String(), "\x1b\u202e\r") {
			t.Errorf("%s: control or bidi characters in the report: %q", format, b.String())
		}
		if format == "text" {
			for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
				if !regexp.MustCompile(`^(alpha|beta|gamma|delta|"?evil|  )`).MatchString(l) {
					t.Errorf("text line not starting with a name or an indent (a value broke the line): %q", l)
				}
			}
			continue
		}
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		if len(lines) != 4+2+5 || lines[0] != "## mcpbuild repro: ❌ 4 of 5 not reproducible" {
			t.Fatalf("markdown:\n%s", b.String())
		}
		for _, l := range lines[4:] {
			if n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(l, -1)); n != 7 {
				t.Errorf("row has %d unescaped pipes, want 7: %q", n, l)
			}
		}
		// Outside code spans there is no mention, issue reference or link.
		for _, l := range lines[4:] {
			outside := outsideCodeSpans(l)
			if strings.ContainsAny(outside, "@#[") {
				t.Errorf("markup outside code spans: %q", outside)
			}
		}
	}
}

// outsideCodeSpans is a Markdown line with its code spans removed (CommonMark: a run of
// n backticks opens a span that the next run of exactly n backticks closes).
func outsideCodeSpans(s string) string {
	var b strings.Builder
	run := func(i int) int {
		n := 0
		for i+n < len(s) && s[i+n] == '`' {
			n++
		}
		return n
	}
	for i := 0; i < len(s); {
		if s[i] != '`' {
			b.WriteByte(s[i])
			i++
			continue
		}
		n := run(i)
		j := i + n
		for j < len(s) {
			if s[j] == '`' {
				m := run(j)
				if m == n {
					break
				}
				j += m
				continue
			}
			j++
		}
		if j >= len(s) { // no closing fence: the backticks are literal
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		i = j + n
	}
	return b.String()
}

func TestOutsideCodeSpans(t *testing.T) {
	if got := outsideCodeSpans("a `x` b ``y`z`` c ` d"); got != "a  b  c ` d" {
		t.Errorf("outsideCodeSpans = %q", got)
	}
}
