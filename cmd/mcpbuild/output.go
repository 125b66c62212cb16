package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
)

// buildRow is one catalog entry's outcome in `mcpbuild build`: a result, or a failure
// (an invalid entry, a failed build).
type buildRow struct {
	name   string // the entry's name (escaped), or its path when it has none
	result *build.Result
	err    error
	reason string // why it failed; escaped on output (%q in text, catalog.EscapeText in JSON)
}

// Build statuses in `--output json`.
const (
	statusBuilt  = "built"
	statusFailed = "failed"
)

// resultJSON is one element of `--output json`; the field names are a stable contract.
type resultJSON struct {
	Name      string `json:"name"`             // the catalog entry, as in `publish -o json`
	Status    string `json:"status"`           // built or failed
	Reason    string `json:"reason,omitempty"` // why it failed: path:line:col diagnostics for an invalid entry
	Image     string `json:"image,omitempty"`  // <registry>/<repository>@sha256:...
	Digest    string `json:"digest,omitempty"` // sha256:...
	Tag       string `json:"tag,omitempty"`    // <registry>/<repository>:<tag>
	Commit    string `json:"commit,omitempty"`
	Project   string `json:"project,omitempty"`
	Directory string `json:"directory,omitempty"`
	Context   string `json:"context,omitempty"` // git context fetched (after --source-mirror)
	// Platforms are the platform images of a multi-platform index (Image), by platform.
	Platforms []build.PlatformImage `json:"platforms,omitempty"`
	// Builder is the BuildKit daemon that built (or failed) it, with several --buildkit-addr.
	Builder string `json:"builder,omitempty"`
}

// writeResults prints one line per row ("name image@digest commit" when built,
// `name failed reason="..."` when not; " builder=ADDR" added with several daemons) or a
// JSON array.
func writeResults(w io.Writer, format string, rows []buildRow) error {
	if format == "json" {
		out := make([]resultJSON, 0, len(rows))
		for _, row := range rows {
			j := resultJSON{Name: row.name, Status: statusFailed, Reason: catalog.EscapeText(row.reason), Builder: build.BuilderOf(row.err)}
			if r := row.result; row.err == nil && r != nil {
				j = resultJSON{
					Name: row.name, Status: statusBuilt, Image: r.Image.String(), Digest: r.Image.DigestStr(), Tag: r.Tag.String(),
					Commit: r.Commit, Project: r.Project, Directory: r.Directory, Context: r.ContextURL, Platforms: r.Platforms,
					Builder: r.Builder,
				}
			}
			out = append(out, j)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, row := range rows {
		var err error
		if r := row.result; row.err == nil && r != nil {
			_, err = fmt.Fprintf(w, "%s %s %s%s\n", row.name, r.Image.String(), r.Commit, builderField(r.Builder))
		} else {
			_, err = fmt.Fprintf(w, "%s %s reason=%q%s\n", row.name, statusFailed, row.reason, builderField(build.BuilderOf(row.err)))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// builderField is " builder=ADDR" for a build on one of several daemons, else nothing.
func builderField(b string) string {
	if b == "" {
		return ""
	}
	return " builder=" + b
}
