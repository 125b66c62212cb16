package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/source"
)

// PinUpdatesMediaType identifies the JSON document of `mcpbuild update-pins -o json`.
const PinUpdatesMediaType = "application/vnd.mcpbuild.pin-updates.v1+json"

type pinUpdatesJSON struct {
	MediaType string      `json:"mediaType"`
	DryRun    bool        `json:"dryRun"`
	Servers   []pinUpdate `json:"servers"`
}

// writePinUpdates prints the report in format text, json or markdown.
func writePinUpdates(w io.Writer, format string, dryRun bool, rows []pinUpdate) error {
	switch format {
	case "json":
		doc := pinUpdatesJSON{MediaType: PinUpdatesMediaType, DryRun: dryRun, Servers: append([]pinUpdate{}, rows...)}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	case "markdown":
		_, err := io.WriteString(w, pinUpdatesMarkdown(dryRun, rows))
		return err
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s %s", esc(orDash(r.Name)), r.Status)
		switch {
		case r.New != "" && r.New != r.Old:
			fmt.Fprintf(&b, " %s -> %s", shortSHA(r.Old), shortSHA(r.New))
		case r.Old != "":
			fmt.Fprintf(&b, " %s", shortSHA(r.Old))
		}
		if r.Branch != "" {
			fmt.Fprintf(&b, " branch=%s", esc(r.Branch))
		}
		if rv := r.Review; rv != nil {
			fmt.Fprintf(&b, " commits=%d files=%d", rv.CommitsTotal, len(rv.Files))
			if rv.DockerfileChanged {
				b.WriteString(" dockerfile-changed")
			}
			if len(rv.Manifests) > 0 {
				fmt.Fprintf(&b, " manifests=%s", esc(strings.Join(rv.Manifests, ",")))
			}
			if !rv.Ancestor {
				b.WriteString(" not-fast-forward")
			}
		}
		if r.Note != "" {
			fmt.Fprintf(&b, " note=%q", esc(r.Note))
		}
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "\n  %s", esc(p))
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// pinUpdatesMarkdown is the review report: a summary table (cliutil.MarkdownTable), then
// per server that moves (or would) its commits, files, Dockerfile and manifest changes and
// the diff. Every value from the catalog or the remote (names, branches, paths, remotes,
// notes, problems, hashes, authors, subjects) is a code span (cliutil.MarkdownCode), so
// that it renders as text and GitHub links nothing in it (mentions, issue references,
// commit SHAs); the diff is a fenced block longer than any run of backticks in it.
func pinUpdatesMarkdown(dryRun bool, rows []pinUpdate) string {
	var b strings.Builder
	count := map[string]int{}
	for _, r := range rows {
		count[r.Status]++
	}
	var counts []string
	for _, st := range []string{pinUpdated, pinWould, pinCurrent, pinLeft, pinSkipped, pinFailed, pinUnreadable} {
		if n := count[st]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, st))
		}
	}
	summary := fmt.Sprintf("**%d %s: %s**", len(rows), plural(len(rows), "server"), strings.Join(counts, ", "))
	if dryRun {
		summary += "\n\nDry run: no file was changed."
	}
	t := cliutil.MarkdownTable{Heading: "Pin updates", Summary: summary,
		Header: []string{"Server", "Status", "Branch", "Old", "New", "Commits", "Dockerfile", "Manifests"}}
	for _, r := range rows {
		commits, df, man := "", "", ""
		if rv := r.Review; rv != nil {
			commits = fmt.Sprint(rv.CommitsTotal)
			df = "unchanged"
			if rv.DockerfileChanged {
				df = "**changed**"
			}
			man = "unchanged"
			if len(rv.Manifests) > 0 {
				man = fmt.Sprintf("**%d changed**", len(rv.Manifests))
			}
		}
		newSHA := ""
		if r.New != "" && r.New != r.Old {
			newSHA = code(shortSHA(r.New))
		}
		t.Rows = append(t.Rows, []string{code(orDash(r.Name)), r.Status, code(r.Branch), code(shortSHA(r.Old)), newSHA, commits, df, man})
	}
	_ = t.Write(&b) // a strings.Builder does not fail
	for _, r := range rows {
		if r.Review == nil && r.Note == "" && len(r.Problems) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### %s\n\n", code(orDash(r.Name)))
		fmt.Fprintf(&b, "- Catalog file: %s (%s)\n", code(r.Path), r.Status)
		if r.Remote != "" {
			fmt.Fprintf(&b, "- Remote: %s, branch %s\n", code(r.Remote), code(r.Branch))
		}
		if r.Note != "" {
			fmt.Fprintf(&b, "- Note: %s\n", code(r.Note))
		}
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "- Problem: %s\n", code(p))
		}
		if r.Review != nil {
			writeReviewMarkdown(&b, r.Review)
		}
	}
	return b.String()
}

func writeReviewMarkdown(b *strings.Builder, rv *source.Review) {
	fmt.Fprintf(b, "- Commit: %s → %s\n", code(rv.Old), code(rv.New))
	if !rv.Ancestor {
		b.WriteString("- **Warning: the old commit is not in the new commit's history** (the branch was rewritten, or the pin was not on it): review the whole new tree, not only this range.\n")
	}
	if rv.Context == "" {
		b.WriteString("- Build context: the repository root\n")
	} else {
		fmt.Fprintf(b, "- Build context: %s\n", code(rv.Context))
	}
	if rv.DockerfileChanged {
		fmt.Fprintf(b, "- **Dockerfile changed**: %s\n", code(rv.Dockerfile))
	} else {
		fmt.Fprintf(b, "- Dockerfile unchanged: %s\n", code(rv.Dockerfile))
	}
	if len(rv.Manifests) > 0 {
		var ms []string
		for _, m := range rv.Manifests {
			ms = append(ms, code(m))
		}
		fmt.Fprintf(b, "- **Dependency manifests changed**: %s\n", strings.Join(ms, ", "))
	} else {
		b.WriteString("- Dependency manifests unchanged\n")
	}
	fmt.Fprintf(b, "\n#### Commits (%d)\n\n", rv.CommitsTotal)
	if len(rv.Commits) == 0 {
		b.WriteString("None.\n")
	} else {
		b.WriteString("| Commit | Date | Author | Subject |\n| --- | --- | --- | --- |\n")
		for _, c := range rv.Commits {
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", code(shortSHA(c.Hash)), c.Date.Format("2006-01-02 15:04Z"), code(c.Author), code(c.Subject))
		}
	}
	if n := rv.CommitsTotal - len(rv.Commits); n > 0 {
		fmt.Fprintf(b, "\n%d older %s not listed (--max-commits).\n", n, plural(n, "commit"))
	}
	fmt.Fprintf(b, "\n#### Files changed in the build context (%d)\n\n", len(rv.Files))
	if len(rv.Files) == 0 {
		b.WriteString("None.\n")
	}
	for _, f := range rv.Files {
		fmt.Fprintf(b, "- %s %s\n", code(f.Status), code(f.Path))
	}
	if rv.Diff == "" {
		return
	}
	b.WriteString("\n#### Diff\n\n")
	if rv.DiffTruncated {
		fmt.Fprintf(b, "Cut at %d bytes (--max-diff): read the rest in the repository.\n\n", len(rv.Diff))
	}
	var d strings.Builder
	for _, line := range strings.SplitAfter(rv.Diff, "\n") {
		d.WriteString(catalog.EscapeText(strings.TrimSuffix(line, "\n")))
		if strings.HasSuffix(line, "\n") {
			d.WriteByte('\n')
		}
	}
	body := d.String()
	if !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	fence := strings.Repeat("`", max(3, longestRun(body, '`')+1))
	fmt.Fprintf(b, "%sdiff\n%s%s\n", fence, body, fence)
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// code is s as an inline code span (cliutil.MarkdownCode): "" for "".
func code(s string) string { return cliutil.MarkdownCode(s) }

func esc(s string) string { return catalog.EscapeText(s) }

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
