package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/mcpbuild/mcpbuild/verify"
)

// printResults writes one result per image: in text, the verdict line and its checks;
// in JSON, one verify.Verdict object per line (JSON Lines); in Markdown and HTML, the
// report of audit with a row per image.
func (c *common) printResults(w io.Writer, results []result) error {
	switch c.out.output {
	case "markdown":
		return writeMarkdown(w, reportTitle{"mcpverify", "images"}, results, 0)
	case "html":
		return writeHTML(w, reportTitle{"mcpverify", "images"}, results)
	}
	if c.out.output == "json" {
		enc := json.NewEncoder(w)
		for _, r := range results {
			if err := enc.Encode(r.verdict); err != nil {
				return err
			}
		}
		return nil
	}
	for _, r := range results {
		fmt.Fprintf(w, "%s: %s\n", r.label, verdictLine(r))
		if r.verdict != nil && r.verdict.Publisher != "" { // --policy
			fmt.Fprintf(w, "  %-16s %s\n", "publisher", publisherText(r.verdict))
		}
		for _, ch := range r.verdict.Checks {
			fmt.Fprintf(w, "  %-16s %-8s %s\n", ch.Name, ch.Status, ch.Detail)
		}
	}
	return nil
}

// verdictLine is "VERIFIED", "NOT VERIFIED: <first failing check>: <detail>" (exit 1),
// or, when a check could not be carried out, "COULD NOT VERIFY: <check>: <error>"
// (exit 3): a failed lookup never reads as a verdict on the image.
func verdictLine(r result) string {
	switch {
	case r.skip != "":
		return "SKIPPED: " + r.skip
	case r.err != nil:
		return "COULD NOT VERIFY: " + indeterminateText(r.err)
	case r.verdict.Verified:
		return "VERIFIED"
	}
	return "NOT VERIFIED: " + r.verdict.Reason
}

// indeterminateText is "<check>: <error>" for a *verify.Indeterminate, else the error.
func indeterminateText(err error) string {
	var ind *verify.Indeterminate
	if errors.As(err, &ind) {
		return ind.Check + ": " + ind.Err.Error()
	}
	return err.Error()
}

// writeAudit writes audit's results in the --output format.
func (c *common) writeAudit(w io.Writer, results []result) error {
	title := reportTitle{"mcpverify audit", "servers"}
	switch c.out.output {
	case "json":
		return writeAuditJSON(w, results)
	case "markdown":
		return writeMarkdown(w, title, results, 0)
	case "html":
		return writeHTML(w, title, results)
	}
	return writeAuditTable(w, results, c.trust.policy != "")
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
