package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/mcpbuild/mcpbuild/build"
)

// resultJSON is one element of `--output json`; the field names are a stable contract.
type resultJSON struct {
	Name      string `json:"name"`   // the catalog entry, as in `publish -o json`
	Image     string `json:"image"`  // <registry>/<image>@sha256:...
	Digest    string `json:"digest"` // sha256:...
	Tag       string `json:"tag"`    // <registry>/<image>:<tag>
	Commit    string `json:"commit"`
	Project   string `json:"project"`
	Directory string `json:"directory,omitempty"`
	Context   string `json:"context"` // git context fetched (after --source-mirror)
}

// writeResults prints one line per result ("name image@digest commit") or a JSON array.
func writeResults(w io.Writer, format string, results []*build.Result) error {
	if format == "json" {
		out := make([]resultJSON, 0, len(results))
		for _, r := range results {
			out = append(out, resultJSON{
				Name: r.Server, Image: r.Image.String(), Digest: r.Image.DigestStr(), Tag: r.Tag.String(),
				Commit: r.Commit, Project: r.Project, Directory: r.Directory, Context: r.ContextURL,
			})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, r := range results {
		if _, err := fmt.Fprintf(w, "%s %s %s\n", r.Server, r.Image.String(), r.Commit); err != nil {
			return err
		}
	}
	return nil
}
