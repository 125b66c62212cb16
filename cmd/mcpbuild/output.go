package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
)

// buildRow is one catalog entry's outcome in `mcpbuild build`: a result, a failure (an
// invalid entry, a failed build), or an entry skipped (not built from source).
type buildRow struct {
	name    string // the entry's name (escaped), or its path when it has none
	result  *build.Result
	err     error
	reason  string // why it failed or was skipped; escaped on output (%q in text, catalog.EscapeText in JSON)
	skipped bool   // listed in JSON only; text has the note on stderr
}

// Build statuses in `--output json`.
const (
	statusBuilt   = "built"
	statusFailed  = "failed"
	statusSkipped = "skipped"
)

// BuildMediaType identifies version 1 of an element of `mcpbuild build -o json`. Fields
// are only ever added to it; changing what one means needs a new media type.
const BuildMediaType = "application/vnd.mcpbuild.build.v1+json"

// resultJSON is one element of `--output json`; the field names are a stable contract.
type resultJSON struct {
	MediaType string `json:"mediaType"`        // BuildMediaType
	Name      string `json:"name"`             // the catalog entry, as in `publish -o json`
	Status    string `json:"status"`           // built, failed or skipped
	Reason    string `json:"reason,omitempty"` // why it failed (path:line:col diagnostics for an invalid entry) or was skipped
	Image     string `json:"image,omitempty"`  // <registry>/<repository>@sha256:...
	Digest    string `json:"digest,omitempty"` // sha256:...
	Tag       string `json:"tag,omitempty"`    // <registry>/<repository>:<tag>, the first -t
	// Tags are every tag pushed for the digest, Tag first (-t, repeatable).
	Tags      []string `json:"tags,omitempty"`
	Commit    string   `json:"commit,omitempty"`
	Project   string   `json:"project,omitempty"`
	Directory string   `json:"directory,omitempty"`
	Context   string   `json:"context,omitempty"` // git context fetched (after --source-mirror)
	// Platforms are the platform images of a multi-platform index (Image), by platform.
	Platforms []build.PlatformImage `json:"platforms,omitempty"`
	// Builder is the BuildKit daemon that built (or failed) it, with several --buildkit-addr.
	Builder string `json:"builder,omitempty"`
}

// writeResults prints one line per row ("name image@digest commit" when built,
// `name failed reason="..."` when not; " builder=ADDR" added with several daemons;
// skipped entries only have their note on stderr) or a JSON array with a row for every
// entry, skipped ones included.
func writeResults(w io.Writer, format string, rows []buildRow) error {
	if format == "json" {
		out := make([]resultJSON, 0, len(rows))
		for _, row := range rows {
			j := resultJSON{MediaType: BuildMediaType, Name: row.name, Status: statusFailed, Reason: catalog.EscapeText(row.reason), Builder: build.BuilderOf(row.err)}
			if row.skipped {
				j.Status = statusSkipped
			}
			if r := row.result; row.err == nil && r != nil {
				j = resultJSON{
					MediaType: BuildMediaType,
					Name:      row.name, Status: statusBuilt, Image: r.Image.String(), Digest: r.Image.DigestStr(), Tag: r.Tag.String(),
					Tags:   tagNames(r),
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
		if row.skipped {
			continue
		}
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

// tagNames are every tag r pushed: Tag, then ExtraTags.
func tagNames(r *build.Result) []string {
	out := []string{r.Tag.String()}
	for _, t := range r.ExtraTags {
		out = append(out, t.String())
	}
	return out
}

// builderField is " builder=ADDR" for a build on one of several daemons, else nothing.
func builderField(b string) string {
	if b == "" {
		return ""
	}
	return " builder=" + b
}
