package main

import (
	"fmt"
	"io"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// Markers of the Markdown report: a symbol and a word, never colour alone.
var mdMarks = map[string]string{
	rowPass:    "✅",
	rowFail:    "❌",
	rowError:   "⚠️",
	rowSkipped: "⏭️",
}

// writeMarkdown writes the results as a Markdown report for $GITHUB_STEP_SUMMARY or a
// pull-request comment: a heading with the outcome, the counts, and one table row per
// result (those that need attention first). Every value from the catalog or a registry
// is a code span (cliutil.MarkdownCode): it cannot add markup, links or break the table.
// The report is capped at limit bytes (cliutil.MarkdownLimit when 0).
func writeMarkdown(w io.Writer, title reportTitle, results []result, limit int) error {
	t := totals(results)
	bad := t.NotVerified + t.CouldNotCheck + t.Invalid
	outcome := fmt.Sprintf("✅ all %d verified", t.Verified)
	if bad > 0 {
		outcome = fmt.Sprintf("❌ %d of %d not verified", bad, t.Servers-t.Skipped)
	}
	if t.Servers == t.Skipped {
		outcome = "nothing to verify"
	}
	table := cliutil.MarkdownTable{
		Heading: title.command + ": " + outcome,
		Summary: "**" + reportSummary(t, title.noun) + "**",
		Header:  []string{"Server", "Image", "Pin", "Status", "Reason"},
		Limit:   limit,
	}
	if title.noun == "images" {
		table.Header[0] = "Image argument"
	}
	for _, r := range reportRows(results) {
		table.Rows = append(table.Rows, []string{
			cliutil.MarkdownCode(r.Name),
			cliutil.MarkdownCode(r.Image),
			cliutil.MarkdownCode(r.Pin),
			mdMarks[r.Status] + " " + r.Verdict,
			cliutil.MarkdownCode(r.Reason),
		})
	}
	return table.Write(w)
}
