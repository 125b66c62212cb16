package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
)

// Formats of `publish --output`: build's, and markdown.
const publishOutputs = "text, json or markdown"

// addPublishOutput names markdown in the help of --output, which publish shares with build.
func addPublishOutput(cmd *cobra.Command) {
	cmd.Flags().Lookup("output").Usage = "report format on stdout: " + publishOutputs
}

// validatePublish is bo.Validate, with --output markdown allowed (publish only).
func validatePublish(bo *buildOptions) error {
	switch bo.output {
	case "text", "json":
		return bo.Validate()
	case "markdown":
		o := *bo
		o.output = "text"
		return o.Validate()
	}
	return cliutil.Usagef("--output %q: want %s", bo.output, publishOutputs)
}

// PublishMediaType identifies version 1 of an element of `mcpbuild publish -o json`.
// Fields are only ever added to it; changing what one means needs a new media type.
const PublishMediaType = "application/vnd.mcpbuild.publish.v1+json"

// reportJSON is one element of `publish -o json`: the report's fields (publish.Report,
// whose names are a contract: publish/report_test.go) after its media type.
type reportJSON struct {
	MediaType string `json:"mediaType"`
	publish.Report
}

// writeReports prints the publish report: one line per server, a JSON array of
// publish.Report, each with mediaType PublishMediaType (fields name, image, commit,
// signature, attestation, signatureLogIndex, attestationLogIndex, builder, status,
// reason), or a Markdown report (writePublishMarkdown).
func writeReports(w io.Writer, format string, rs []publish.Report) error {
	if format == "markdown" {
		return writePublishMarkdown(w, rs, 0)
	}
	if format == "json" {
		out := make([]reportJSON, len(rs))
		for i, r := range rs {
			out[i] = reportJSON{MediaType: PublishMediaType, Report: r}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	idx := func(i *int64) string {
		if i == nil {
			return "-"
		}
		return strconv.FormatInt(*i, 10)
	}
	for _, r := range rs {
		var err error
		if r.Status == publish.Failed {
			_, err = fmt.Fprintf(w, "%s %s %s commit=%s reason=%q%s\n", r.Name, r.Status, orDash(r.Image), r.Commit, r.Reason, builderField(r.Builder))
		} else {
			_, err = fmt.Fprintf(w, "%s %s %s commit=%s signature=%s sig-log-index=%s attestation=%s att-log-index=%s%s\n",
				r.Name, r.Status, r.Image, r.Commit, r.Signature, idx(r.SignatureLogIndex), r.Attestation, idx(r.AttestationLogIndex), builderField(r.Builder))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
