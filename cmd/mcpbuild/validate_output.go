package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// DiagnosticsMediaType identifies the JSON document of `mcpbuild validate -o json`.
const DiagnosticsMediaType = "application/vnd.mcpbuild.diagnostics.v1+json"

// diagnosticsJSON is `validate -o json`: one document per run. The field names are a
// stable contract; text from the files (paths, names, fields, messages) is escaped as in
// the text output.
type diagnosticsJSON struct {
	MediaType   string     `json:"mediaType"`
	Strict      bool       `json:"strict"` // warnings were errors
	Valid       bool       `json:"valid"`  // no errors (the exit code is 0)
	Files       []fileJSON `json:"files"`  // every file matched, sorted by path
	Diagnostics []diagJSON `json:"diagnostics"`
	Errors      int        `json:"errors"`
	Warnings    int        `json:"warnings"`
	Unreachable []string   `json:"unreachable,omitempty"` // --remote: git remotes that could not be read
}

type fileJSON struct {
	Path     string `json:"path"`
	Name     string `json:"name,omitempty"` // absent when the file could not be decoded
	Valid    bool   `json:"valid"`
	Errors   int    `json:"errors"`
	Warnings int    `json:"warnings"`
}

type diagJSON struct {
	Severity string `json:"severity"` // error or warning
	Path     string `json:"path"`
	Line     int    `json:"line"` // 0: the whole file (it could not be read)
	Col      int    `json:"col"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
	// Source locates a --remote diagnostic in the pinned repository: remote, commit and,
	// for the Dockerfile's problems, its path from the repository root and line.
	Source *remoteLoc `json:"source,omitempty"`
}

// severeDiag is a diagnostic with its severity.
type severeDiag struct {
	*catalog.Diagnostic
	severity string
}

// fileDiagnostics lists a file's errors and warnings together, in line order (errors
// first on the same position).
func fileDiagnostics(f *catalog.File) []severeDiag {
	var out []severeDiag
	for _, d := range f.Errors {
		out = append(out, severeDiag{d, "error"})
	}
	for _, d := range f.Warnings {
		out = append(out, severeDiag{d, "warning"})
	}
	slices.SortStableFunc(out, func(a, b severeDiag) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	return out
}

// writeDiagnostics prints every diagnostic of files in format text, json, github or
// markdown. rc is nil without --remote.
func writeDiagnostics(w io.Writer, format string, strict bool, files []*catalog.File, rc *remoteCheck) error {
	switch format {
	case "json":
		return writeDiagnosticsJSON(w, strict, files, rc)
	case "markdown":
		return writeDiagnosticsMarkdown(w, strict, files, rc, 0)
	}
	var b strings.Builder
	for _, f := range files {
		for _, d := range fileDiagnostics(f) {
			switch {
			case format == "github":
				b.WriteString(githubAnnotation(d))
			case d.severity == "warning":
				fmt.Fprintf(&b, "%s: warning: %s\n", d.Location(), d.Detail())
			default:
				fmt.Fprintf(&b, "%s\n", d.Error())
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDiagnosticsJSON(w io.Writer, strict bool, files []*catalog.File, rc *remoteCheck) error {
	doc := diagnosticsJSON{MediaType: DiagnosticsMediaType, Strict: strict, Files: []fileJSON{}, Diagnostics: []diagJSON{}}
	for _, f := range files {
		fj := fileJSON{Path: catalog.EscapeText(f.Path), Valid: f.Valid(), Errors: len(f.Errors), Warnings: len(f.Warnings)}
		if f.Server != nil {
			fj.Name = catalog.EscapeText(f.Server.Name)
		}
		doc.Files = append(doc.Files, fj)
		doc.Errors += fj.Errors
		doc.Warnings += fj.Warnings
		for _, d := range fileDiagnostics(f) {
			e := d.Escaped()
			dj := diagJSON{Severity: d.severity, Path: e.Path, Line: e.Line, Col: e.Col, Field: e.Field, Message: e.Message}
			if loc, ok := rc.loc(d.Diagnostic); ok {
				loc.Remote, loc.File = catalog.EscapeText(loc.Remote), catalog.EscapeText(loc.File)
				dj.Source = &loc
			}
			doc.Diagnostics = append(doc.Diagnostics, dj)
		}
	}
	for _, r := range rc.remotes() {
		doc.Unreachable = append(doc.Unreachable, catalog.EscapeText(r))
	}
	doc.Valid = doc.Errors == 0
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// githubAnnotation is d as a GitHub Actions workflow command, one line:
// "::error file=P,line=L,col=C::field: message" (line and col absent for a whole file).
// Values are escaped as the runner expects: '%', CR and LF in the message; also ':' and
// ',' in properties. The text was escaped by catalog first, so it holds no line break.
func githubAnnotation(d severeDiag) string {
	e := d.Escaped()
	props := "file=" + githubProperty(e.Path)
	if e.Line > 0 {
		props += fmt.Sprintf(",line=%d,col=%d", e.Line, e.Col)
	}
	return "::" + d.severity + " " + props + "::" + githubData(d.Detail()) + "\n"
}

var (
	githubDataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	githubPropertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func githubData(s string) string     { return githubDataEscaper.Replace(s) }
func githubProperty(s string) string { return githubPropertyEscaper.Replace(s) }

// Markers of the validate report: a symbol and a word, never colour alone.
var severityMarks = map[string]string{"error": "❌ error", "warning": "⚠️ warning"}

// writeDiagnosticsMarkdown writes a Markdown report for $GITHUB_STEP_SUMMARY or a
// pull-request comment: a heading with the outcome, a summary line, and one table row per
// diagnostic (location path:line:col, severity, field: message, and for --remote where in
// the pinned repository). Everything from the files or the remotes is a code span
// (cliutil.MarkdownCode). Capped at limit bytes (cliutil.MarkdownLimit when 0).
func writeDiagnosticsMarkdown(w io.Writer, strict bool, files []*catalog.File, rc *remoteCheck, limit int) error {
	t := countDiagnostics(files)
	outcome := fmt.Sprintf("✅ %d %s valid", t.files, plural(t.files, "file"))
	if t.errors > 0 {
		outcome = fmt.Sprintf("❌ %d %s in %d of %d %s", t.errors, plural(t.errors, "error"), t.invalid, t.files, plural(t.files, "file"))
	}
	summary := fmt.Sprintf("**%d %s: %d %s, %d %s**", t.files, plural(t.files, "file"), t.errors, plural(t.errors, "error"),
		t.warnings, plural(t.warnings, "warning"))
	if strict {
		summary += " (--strict: warnings are errors)"
	}
	if rs := rc.remotes(); len(rs) > 0 {
		codes := make([]string, len(rs))
		for i, r := range rs {
			codes[i] = cliutil.MarkdownCode(r)
		}
		summary += fmt.Sprintf("\n\n**%d git %s could not be read**: %s", len(rs), plural(len(rs), "remote"), strings.Join(codes, ", "))
	}
	table := cliutil.MarkdownTable{
		Heading: "mcpbuild validate: " + outcome,
		Summary: summary,
		Header:  []string{"Location", "Severity", "Problem"},
		Limit:   limit,
	}
	for _, f := range files {
		for _, d := range fileDiagnostics(f) {
			problem := cliutil.MarkdownCode(d.Detail())
			if loc, ok := rc.loc(d.Diagnostic); ok {
				where := loc.File
				if loc.Line > 0 {
					where = fmt.Sprintf("%s:%d", loc.File, loc.Line)
				}
				problem += " in " + cliutil.MarkdownCode(where) + " of " + cliutil.MarkdownCode(loc.Remote) + " at " + cliutil.MarkdownCode(shortCommit(loc.Commit))
			}
			table.Rows = append(table.Rows, []string{cliutil.MarkdownCode(d.Location()), severityMarks[d.severity], problem})
		}
	}
	return table.Write(w)
}
