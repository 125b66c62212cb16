package catalog

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mcpbuild/mcpbuild/fault"
)

// Diagnostic is one problem found in a server.yaml, located at path:line:col. Line is 0
// for problems that concern a pattern or a whole file that could not be read.
type Diagnostic struct {
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Field   string `json:"field,omitempty"` // dotted YAML path, e.g. "source.commit"
	Message string `json:"message"`
}

// Error is "path:line:col: field: message" on one line; characters in the path, field or
// message that could alter or hide text in a log are escaped (the struct keeps them as
// given).
func (d *Diagnostic) Error() string {
	return d.Location() + ": " + d.Detail()
}

// Fault is fault.Failed: the catalog entry is invalid.
func (d *Diagnostic) Fault() fault.Kind { return fault.Failed }

// Location is "path:line:col", or "path" when Line is 0, escaped as in Error.
func (d *Diagnostic) Location() string {
	if d.Line > 0 {
		return fmt.Sprintf("%s:%d:%d", oneLine(d.Path), d.Line, d.Col)
	}
	return oneLine(d.Path)
}

// Detail is "field: message", or the message alone when no field is named, escaped as in
// Error.
func (d *Diagnostic) Detail() string {
	if d.Field != "" {
		return oneLine(d.Field) + ": " + oneLine(d.Message)
	}
	return oneLine(d.Message)
}

// Escaped returns a copy of d whose path, field and message have every character that
// could alter or hide text escaped as in Error, for output formats that print the
// fields one by one (JSON, CI annotations).
func (d *Diagnostic) Escaped() Diagnostic {
	return Diagnostic{Path: oneLine(d.Path), Line: d.Line, Col: d.Col, Field: oneLine(d.Field), Message: oneLine(d.Message)}
}

// EscapeText escapes in s every character that could alter or hide text in a log (line
// breaks, terminal escapes, bidirectional controls, invisible characters, invalid UTF-8),
// as Go quotes them ("\n", "\x1b", "\u202e"); text without them is returned unchanged.
// Diagnostics apply it to what they print; callers apply it to other text taken from a
// file, such as the name of an invalid entry.
func EscapeText(s string) string { return oneLine(s) }

func sortDiags(ds []*Diagnostic) {
	slices.SortStableFunc(ds, func(a, b *Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}

// joinDiags joins diagnostics into one error (nil for none).
func joinDiags(ds []*Diagnostic) error {
	if len(ds) == 0 {
		return nil
	}
	errs := make([]error, len(ds))
	for i, d := range ds {
		errs[i] = d
	}
	return errors.Join(errs...)
}

// joinText is the diagnostics' Error texts on one line, separated by "; ".
func joinText(ds []*Diagnostic) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Error()
	}
	return strings.Join(parts, "; ")
}
