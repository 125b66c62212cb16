package cliutil

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// Markdown reports go to $GITHUB_STEP_SUMMARY (1 MiB per step) and pull-request
// comments (65536 characters): MarkdownLimit bytes fit both.
const MarkdownLimit = 60000

// MarkdownCellMax is the most bytes of one value MarkdownCode keeps.
const MarkdownCellMax = 400

// MarkdownCode is s as an inline code span that is safe in a GitHub-flavoured Markdown
// table cell, whatever s holds: catalog entries and registry answers are hostile input.
// Inside a code span nothing is markup: no emphasis, links, autolinks, HTML, @mentions,
// issue references or commit links. Line breaks, control, bidirectional and invisible
// characters are spelled as Go escapes (catalog.EscapeText), pipes are escaped for the
// table, and the backtick fence is longer than any run of backticks in s. A value longer
// than MarkdownCellMax bytes is cut, and says so. "" is "".
func MarkdownCode(s string) string {
	if s == "" {
		return ""
	}
	s = catalog.EscapeText(s)
	if len(s) > MarkdownCellMax {
		cut := MarkdownCellMax
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = fmt.Sprintf("%s… (%d bytes cut)", s[:cut], len(s)-cut)
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	// A span that starts or ends with a backtick needs a space inside its fence, and one
	// space is stripped from each end when both are there (unless the span is all spaces).
	edgeSpaces := strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") && strings.Trim(s, " ") != ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || edgeSpaces {
		s = " " + s + " "
	}
	return fence + strings.ReplaceAll(s, "|", `\|`) + fence
}

func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != c {
			n = 0
			continue
		}
		if n++; n > best {
			best = n
		}
	}
	return best
}

// MarkdownTable is a report: a heading, a summary line and one table. Heading, Summary
// and Header are the caller's own words (written as they are); every row cell must
// already be escaped (MarkdownCode) or be the caller's own words.
type MarkdownTable struct {
	Heading string
	Summary string
	Header  []string
	Rows    [][]string
	// Limit is the most bytes written (default MarkdownLimit). Rows that would pass it
	// are cut, and a last line says how many.
	Limit int
}

// Write writes the report; only whole rows are written.
func (t MarkdownTable) Write(w io.Writer) error {
	limit := t.Limit
	if limit <= 0 {
		limit = MarkdownLimit
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n%s\n\n", t.Heading, t.Summary)
	if len(t.Rows) > 0 {
		b.WriteString(mdRow(t.Header))
		seps := make([]string, len(t.Header))
		for i := range seps {
			seps[i] = "---"
		}
		b.WriteString(mdRow(seps))
	}
	const reserve = 200 // the "rows cut" line
	for i, r := range t.Rows {
		line := mdRow(r)
		if b.Len()+len(line)+reserve > limit {
			fmt.Fprintf(&b, "\n**%d of %d rows not shown**: the report is capped at %d bytes; `-o json` has them all.\n",
				len(t.Rows)-i, len(t.Rows), limit)
			break
		}
		b.WriteString(line)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdRow(cells []string) string {
	return "| " + strings.Join(cells, " | ") + " |\n"
}
