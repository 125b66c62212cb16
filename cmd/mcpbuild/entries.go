package main

import (
	"fmt"
	"io"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// entry is one catalog file that build or publish goes through: a buildable server, an
// invalid file, reported as a failed row while the others proceed, or a valid entry that
// is not built from source (build reports it as skipped; publish leaves it out).
type entry struct {
	server  *catalog.Server // set for a valid, buildable entry
	invalid *catalog.File   // set for a file with errors
	skipped *catalog.Server // set for a valid entry of a type not built from source
}

// skipReason says why a skipped entry is not built.
func (e entry) skipReason() string {
	return fmt.Sprintf("type %q is not built from source", e.skipped.Type)
}

// loadEntries loads the catalog for build and publish, in path order. A pattern that
// matches nothing is a usage error and nothing is loaded. Warnings go to stderr as
// "warning: path:line:col: ...", and so do the entries skipped (remote and poci are not
// built from source); invalid entries are kept as such.
func loadEntries(stderr io.Writer, patterns []string, strict bool) ([]entry, error) {
	files, err := catalog.LoadFiles(patterns, catalog.Options{Strict: strict})
	if err != nil {
		return nil, &cliutil.UsageError{Err: err}
	}
	var out []entry
	for _, f := range files {
		for _, w := range f.Warnings {
			fmt.Fprintln(stderr, "warning:", w)
		}
		switch {
		case !f.Valid():
			out = append(out, entry{invalid: f})
		case !f.Server.Buildable():
			e := entry{skipped: f.Server}
			fmt.Fprintf(stderr, "note: skipping server %s: %s\n", f.Server.Name, e.skipReason())
			out = append(out, e)
		default:
			out = append(out, entry{server: f.Server})
		}
	}
	return out, nil
}

// buildable returns the servers of the valid entries, in order.
func buildable(entries []entry) []*catalog.Server {
	var out []*catalog.Server
	for _, e := range entries {
		if e.server != nil {
			out = append(out, e.server)
		}
	}
	return out
}

// invalidErrs returns the problems of the invalid entries, one joined error per entry.
func invalidErrs(entries []entry) []error {
	var out []error
	for _, e := range entries {
		if e.invalid != nil {
			out = append(out, e.invalid.Err())
		}
	}
	return out
}
