package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/mcpbuild/mcpbuild/verify"
)

// Row statuses of the Markdown and HTML reports (data-status in HTML): those of a check,
// so that a row and its cells read alike.
const (
	rowPass    = string(verify.StatusPass)    // verified
	rowFail    = string(verify.StatusFail)    // not verified, or an invalid catalog entry
	rowError   = string(verify.StatusError)   // could not verify
	rowSkipped = string(verify.StatusSkipped) // not a server image (remote, poci)
)

// reportChecks are the check columns of the HTML report, in verify's report order.
var reportChecks = []string{verify.CheckDigest, verify.CheckSignature, verify.CheckTLog,
	verify.CheckLabel, verify.CheckSignedRevision, verify.CheckProvenance}

// reportRow is one result as the Markdown and HTML reports show it. Every field holds
// raw, unescaped text: each renderer escapes for its own format.
type reportRow struct {
	Name      string // the server name (audit) or the image argument
	Image     string // <repository>@sha256:<12 hex>, else the reference as given
	FullImage string // <repository>@<digest>, else the reference
	Pin       string // the commit, 12 hex
	FullPin   string
	Status    string // rowPass...
	Verdict   string // VERIFIED, NOT VERIFIED, INVALID, COULD NOT VERIFY, SKIPPED
	Reason    string
	Checks    []verify.Check // one per reportChecks (zero Check when nothing was checked)
}

// reportRows turns results into rows, the ones that need attention first (not verified
// and invalid, then could not verify, then verified, then skipped), else in their order.
func reportRows(results []result) []reportRow {
	rows := make([]reportRow, 0, len(results))
	for _, r := range results {
		row := reportRow{Name: r.label, FullPin: r.policy.Pin.Commit, Pin: shorten(r.policy.Pin.Commit, 12)}
		if r.ref != nil {
			row.Image, row.FullImage = r.ref.Name(), r.ref.Name()
			if d := digestOf(r); d != "" {
				repo := r.ref.Context().Name()
				row.Image, row.FullImage = repo+"@"+shortDigest(d), repo+"@"+d
			}
		}
		switch {
		case r.skip != "":
			row.Status, row.Verdict, row.Reason = rowSkipped, "SKIPPED", r.skip
		case r.invalid != nil:
			row.Status, row.Verdict, row.Reason = rowFail, "INVALID", r.invalid.Reason()
		case r.err != nil:
			row.Status, row.Verdict, row.Reason = rowError, "COULD NOT VERIFY", indeterminateText(r.err)
		case r.verdict.Verified:
			row.Status, row.Verdict = rowPass, "VERIFIED"
		default:
			row.Status, row.Verdict, row.Reason = rowFail, "NOT VERIFIED", r.verdict.Reason
		}
		for _, name := range reportChecks {
			var c verify.Check
			if r.verdict != nil {
				c = r.verdict.Check(name)
			}
			c.Name = name
			row.Checks = append(row.Checks, c)
		}
		rows = append(rows, row)
	}
	rank := map[string]int{rowFail: 0, rowError: 1, rowPass: 2, rowSkipped: 3}
	slices.SortStableFunc(rows, func(a, b reportRow) int { return cmp.Compare(rank[a.Status], rank[b.Status]) })
	return rows
}

func digestOf(r result) string {
	if r.verdict != nil {
		return r.verdict.Digest
	}
	return ""
}

// shortDigest is "sha256:" and the first 12 hex digits, like docker's short IDs.
func shortDigest(d string) string {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok {
		return shorten(d, 19)
	}
	return alg + ":" + shorten(hex, 12)
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// reportSummary is the counts line, e.g. "5 servers: 2 verified, 1 not verified, ...".
func reportSummary(t auditTotals, noun string) string {
	return fmt.Sprintf("%d %s: %d verified, %d not verified, %d could not check, %d skipped, %d invalid",
		t.Servers, noun, t.Verified, t.NotVerified, t.CouldNotCheck, t.Skipped, t.Invalid)
}

// reportTitle names the command of the report.
type reportTitle struct {
	command string // "mcpverify" or "mcpverify audit"
	noun    string // "images" or "servers"
}
