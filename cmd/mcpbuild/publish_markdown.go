package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
)

// Markers of the publish report: a symbol and a word, never colour alone.
var publishMarks = map[publish.Status]string{
	publish.Published: "✅",
	publish.Unchanged: "➖",
	publish.Failed:    "❌",
}

// writePublishMarkdown writes the reports as Markdown for $GITHUB_STEP_SUMMARY or a
// pull-request comment: a heading with the outcome, the counts, and one table row per
// server, failed ones first. Names, images and reasons are code spans
// (cliutil.MarkdownCode): a catalog entry or a registry answer cannot add markup, links
// or break the table. The report is capped at limit bytes (cliutil.MarkdownLimit when 0).
func writePublishMarkdown(w io.Writer, rs []publish.Report, limit int) error {
	count := map[publish.Status]int{}
	for _, r := range rs {
		count[r.Status]++
	}
	outcome := fmt.Sprintf("✅ %d published, %d unchanged", count[publish.Published], count[publish.Unchanged])
	if n := count[publish.Failed]; n > 0 {
		outcome = fmt.Sprintf("❌ %d of %d failed", n, len(rs))
	}
	table := cliutil.MarkdownTable{
		Heading: "mcpbuild publish: " + outcome,
		Summary: fmt.Sprintf("**%d servers: %d published, %d unchanged, %d failed**",
			len(rs), count[publish.Published], count[publish.Unchanged], count[publish.Failed]),
		Header: []string{"Server", "Image", "Commit", "Status", "Rekor entries", "Reason"},
		Limit:  limit,
	}
	rank := map[publish.Status]int{publish.Failed: 0, publish.Published: 1, publish.Unchanged: 2}
	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(a, b publish.Report) int { return cmp.Compare(rank[a.Status], rank[b.Status]) })
	// A Builder column when several daemons built (before Reason, the widest).
	builders := slices.ContainsFunc(rs, func(r publish.Report) bool { return r.Builder != "" })
	if builders {
		table.Header = slices.Insert(table.Header, 5, "Builder")
	}
	for _, r := range sorted {
		row := []string{
			cliutil.MarkdownCode(r.Name),
			cliutil.MarkdownCode(shortImage(r.Image)),
			cliutil.MarkdownCode(shortCommit(r.Commit)),
			publishMarks[r.Status] + " " + string(r.Status),
			logEntries(r),
			cliutil.MarkdownCode(r.Reason),
		}
		if builders {
			row = slices.Insert(row, 5, cliutil.MarkdownCode(r.Builder))
		}
		table.Rows = append(table.Rows, row)
	}
	return table.Write(w)
}

// shortImage is <repository>@sha256:<12 hex> for <repository>@sha256:<hex>.
func shortImage(image string) string {
	repo, digest, ok := strings.Cut(image, "@")
	alg, hex, ok2 := strings.Cut(digest, ":")
	if !ok || !ok2 || len(hex) <= 12 {
		return image
	}
	return repo + "@" + alg + ":" + hex[:12]
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// logEntries is "signature 12, attestation 13": the Rekor log indexes (our own digits).
func logEntries(r publish.Report) string {
	var parts []string
	if i := r.SignatureLogIndex; i != nil {
		parts = append(parts, "signature "+strconv.FormatInt(*i, 10))
	}
	if i := r.AttestationLogIndex; i != nil {
		parts = append(parts, "attestation "+strconv.FormatInt(*i, 10))
	}
	return strings.Join(parts, ", ")
}
