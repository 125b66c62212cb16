package main

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/mcpbuild/mcpbuild/catalog"
)

var (
	//go:embed report_html.tmpl
	htmlTemplate string
	//go:embed report_html.css
	htmlCSS string
)

// htmlPolicy is the page's Content-Security-Policy: nothing may load or run (no script,
// image, font, frame, form target or base URL) but the page's one style sheet, allowed
// by its hash, so that not even an injected style attribute applies.
var htmlPolicy = func() string {
	sum := sha256.Sum256([]byte(htmlCSS))
	return "default-src 'none'; script-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; img-src 'none'; base-uri 'none'; form-action 'none'"
}()

// htmlMarks pair every status with a symbol, so that it never reads by colour alone.
var htmlMarks = map[string]string{rowPass: "✔", rowFail: "✘", rowError: "!", rowSkipped: "–", "none": "·"}

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"mark": func(status string) string { return htmlMarks[status] },
	"cellStatus": func(s any) string {
		if v := fmt.Sprint(s); v != "" {
			return v
		}
		return "none" // the check was not run: skipped or invalid entry, or stopped early
	},
}).Parse(strings.Replace(htmlTemplate, "CSP_POLICY", htmlPolicy, 1)))

// htmlValueMax is the most bytes of one value the page shows.
const htmlValueMax = 2000

// htmlText is s with what could hide or reorder text (controls, bidirectional and
// invisible characters, invalid UTF-8) spelled as Go escapes, cut at htmlValueMax bytes;
// html/template escapes the rest.
func htmlText(s string) string {
	s = catalog.EscapeText(s)
	if len(s) <= htmlValueMax {
		return s
	}
	cut := htmlValueMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes cut)", s[:cut], len(s)-cut)
}

// writeHTML writes the results as one static, self-contained HTML page: one table, a row
// per result (data-status="pass|fail|error|skipped"), a column per check. No script, no
// external resource, no timestamp: the same results give the same bytes.
func writeHTML(w io.Writer, title reportTitle, results []result) error {
	rows := reportRows(results)
	for i := range rows {
		r := &rows[i]
		for _, p := range []*string{&r.Name, &r.Image, &r.FullImage, &r.Pin, &r.FullPin, &r.Reason} {
			*p = htmlText(*p)
		}
		for j := range r.Checks {
			r.Checks[j].Detail = htmlText(r.Checks[j].Detail)
		}
	}
	t := totals(results)
	data := struct {
		Heading, Summary, NameColumn string
		CSS                          template.CSS
		Totals                       auditTotals
		CheckNames                   []string
		Rows                         []reportRow
	}{
		Heading: title.command, Summary: reportSummary(t, title.noun), NameColumn: "Server",
		CSS: template.CSS(htmlCSS), Totals: t, CheckNames: reportChecks, Rows: rows,
	}
	if title.noun == "images" {
		data.NameColumn = "Image argument"
	}
	return htmlPage.Execute(w, data)
}
