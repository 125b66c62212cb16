package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/repro"
)

// reproJSON is `repro -o json`: versioned (repro.MediaType), one report per server.
type reproJSON struct {
	MediaType string         `json:"mediaType"`
	Reports   []repro.Report `json:"reports"`
}

// writeRepro prints the reports as text (a line per server, the first difference indented
// under it), JSON or Markdown. Everything from a catalog or a registry is quoted (%q) in
// text and a code span in Markdown.
func writeRepro(w io.Writer, format string, rs []repro.Report) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(reproJSON{MediaType: repro.MediaType, Reports: rs})
	case "markdown":
		return writeReproMarkdown(w, rs, 0)
	}
	var b strings.Builder
	for _, r := range rs {
		r.Name = catalog.EscapeText(r.Name) // an invalid entry's label is already escaped
		switch r.Status {
		case repro.Failed:
			fmt.Fprintf(&b, "%s %s reason=%q\n", r.Name, r.Status, r.Reason)
		case repro.Reproducible, repro.NotPublished:
			fmt.Fprintf(&b, "%s %s %s commit=%s\n", r.Name, r.Status, r.Published, r.Commit)
		case repro.Different:
			fmt.Fprintf(&b, "%s %s published=%s rebuilt=%s commit=%s\n", r.Name, r.Status, r.Published, r.Rebuilt, r.Commit)
			writeDifference(&b, r.Difference)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeDifference writes the first difference as indented lines.
func writeDifference(b *strings.Builder, d *repro.Difference) {
	if d == nil {
		return
	}
	fmt.Fprintf(b, "  first difference: %s\n", differenceText(d, strconv.Quote))
	for _, f := range d.Files {
		fmt.Fprintf(b, "    %q %s\n", f.Path, fileText(f))
	}
	if d.MoreFiles > 0 {
		fmt.Fprintf(b, "    and %d more files\n", d.MoreFiles)
	}
	if d.Note != "" {
		fmt.Fprintf(b, "    note: %s\n", strconv.Quote(d.Note))
	}
}

// differenceText is one line saying what differs, quoting what the images hold with q.
func differenceText(d *repro.Difference, q func(string) string) string {
	where := d.Kind
	if d.Platform != "" {
		where += " of platform " + q(d.Platform)
	}
	switch d.Kind {
	case repro.KindLayer:
		return fmt.Sprintf("layer %d%s: published %s, rebuilt %s", *d.Layer, strings.TrimPrefix(where, repro.KindLayer), d.Published, d.Rebuilt)
	case repro.KindLayers:
		return fmt.Sprintf("number of layers%s: published %s, rebuilt %s", strings.TrimPrefix(where, repro.KindLayers), d.Published, d.Rebuilt)
	}
	s := where
	if d.Path != "" {
		s += " " + q(d.Path)
	}
	return fmt.Sprintf("%s: published %s, rebuilt %s", s, q(d.Published), q(d.Rebuilt))
}

// fileText says how a file differs: "only in published", or its detail.
func fileText(f repro.FileDiff) string {
	if f.Only != "" {
		return "only in " + f.Only
	}
	return strconv.Quote(f.Detail)
}

// Markers of the repro report: a symbol and a word, never colour alone.
var reproMarks = map[repro.Status]string{
	repro.Reproducible: "✅",
	repro.Different:    "❌",
	repro.NotPublished: "❌",
	repro.Failed:       "⚠️",
}

// mdFiles is how many differing files one Markdown cell lists.
const mdFiles = 10

// writeReproMarkdown writes the reports as one Markdown table (cliutil.MarkdownTable),
// capped at limit bytes (cliutil.MarkdownLimit when 0); every value from a catalog or a
// registry is a code span (cliutil.MarkdownCode).
func writeReproMarkdown(w io.Writer, rs []repro.Report, limit int) error {
	count := map[repro.Status]int{}
	for _, r := range rs {
		count[r.Status]++
	}
	outcome := fmt.Sprintf("✅ %d of %d reproducible", count[repro.Reproducible], len(rs))
	if count[repro.Reproducible] != len(rs) {
		outcome = fmt.Sprintf("❌ %d of %d not reproducible", len(rs)-count[repro.Reproducible], len(rs))
	}
	t := cliutil.MarkdownTable{
		Heading: "mcpbuild repro: " + outcome,
		Summary: fmt.Sprintf("**%d servers: %d reproducible, %d different, %d not published, %d could not be checked**",
			len(rs), count[repro.Reproducible], count[repro.Different], count[repro.NotPublished], count[repro.Failed]),
		Header: []string{"Server", "Commit", "Status", "Published", "Rebuilt", "First difference"},
		Limit:  limit,
	}
	for _, r := range rs {
		t.Rows = append(t.Rows, []string{
			cliutil.MarkdownCode(r.Name),
			cliutil.MarkdownCode(shortCommit(r.Commit)),
			reproMarks[r.Status] + " " + string(r.Status),
			cliutil.MarkdownCode(shortImage(r.Published)),
			cliutil.MarkdownCode(shortImage(r.Rebuilt)),
			mdDifference(r),
		})
	}
	return t.Write(w)
}

// mdDifference is the difference cell: a sentence of code spans, the first files.
func mdDifference(r repro.Report) string {
	if r.Status == repro.Failed {
		return cliutil.MarkdownCode(r.Reason)
	}
	d := r.Difference
	if d == nil {
		return ""
	}
	parts := []string{differenceText(d, cliutil.MarkdownCode)}
	if d.Kind == repro.KindLayer {
		parts[0] = fmt.Sprintf("layer %d", *d.Layer)
		if d.Platform != "" {
			parts[0] += " of platform " + cliutil.MarkdownCode(d.Platform)
		}
	}
	for i, f := range d.Files {
		if i == mdFiles {
			break
		}
		what := "only in " + f.Only
		if f.Only == "" {
			what = strings.Join(f.Fields, ", ")
		}
		parts = append(parts, cliutil.MarkdownCode(f.Path)+" "+what)
	}
	if more := d.MoreFiles + max(0, len(d.Files)-mdFiles); more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more files", more))
	}
	if d.Note != "" {
		parts = append(parts, cliutil.MarkdownCode(d.Note))
	}
	return strings.Join(parts, "<br>")
}
