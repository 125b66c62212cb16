package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify"
)

func newAuditCmd(c *common) *cobra.Command {
	jobs, tag := defaultJobs, ""
	cmd := &cobra.Command{
		Use:   "audit [--catalog DIR] [-j N] [--tag TAG]",
		Short: "Verify every server of the catalog against the registry, as one table",
		Long: `audit verifies the image of every "server" entry of the catalog against its pin
and prints one table (server, pin, label, signed, tlog, provenance, verdict) with totals,
or JSON with --output json, Markdown with --output markdown (for $GITHUB_STEP_SUMMARY or a
pull-request comment), or one static HTML page with --output html; with --policy, the text
table has a PUBLISHER column naming the publisher covering each image and its trust level
(JSON: the verdict's publisher and trustLevel). Remote and poci entries are listed as skipped. An invalid
catalog entry is listed as INVALID with its problems (path:line:col) and counts as not
verified; the others are verified all the same. Each entry's image is looked up where
mcpbuild pushed it: <registry>/<image> with --registry, <prefix>/<image path> with
--repository-prefix (the same value given to mcpbuild; it excludes --registry). Exit codes as for mcpverify (1 when an
entry is invalid or not verified; 3, first, when one could not be checked).`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cliutil.Usagef("audit takes no arguments (use --catalog)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			dst, err := c.destination(cmd.Flags().Changed("registry"))
			if err != nil {
				return err
			}
			files, err := c.catalog.files()
			if err != nil {
				return err
			}
			var targets []target
			for _, f := range files {
				for _, w := range f.Warnings {
					fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
				}
				t := target{label: f.Label()}
				s := f.Server
				switch {
				case !f.Valid():
					t.invalid = f
				case !s.Buildable():
					t.skip = "type " + s.Type
				default:
					if t.ref, err = serverRef(s, dst); err != nil {
						return cliutil.Usagef("catalog entry %s: image %q: %v", s.Name, s.Image, err)
					}
					if tag != "" {
						t.ref = t.ref.Context().Tag(tag)
					}
					t.policy = c.policyFor(s.Pin())
				}
				targets = append(targets, t)
			}
			results, err := c.verifyAll(cmd.Context(), cmd, targets, jobs)
			if err != nil {
				return err
			}
			if err := c.writeAudit(cmd.OutOrStdout(), results); err != nil {
				return err
			}
			return resultsErr(results)
		},
	}
	cmd.Flags().IntVarP(&jobs, "jobs", "j", jobs, "servers verified in parallel (see --jobs-per-registry; memory does not grow with it: a run holds at most two heavy images' budgets plus 32 MiB)")
	cmd.Flags().StringVar(&tag, "tag", "", "tag to verify for every image (default: the catalog's reference, i.e. latest)")
	return cmd
}

type auditTotals struct {
	Servers       int `json:"servers"`
	Verified      int `json:"verified"`
	NotVerified   int `json:"notVerified"`
	CouldNotCheck int `json:"couldNotCheck"`
	Skipped       int `json:"skipped"`
	Invalid       int `json:"invalid"` // catalog entries with errors (not verified)
}

func totals(results []result) auditTotals {
	t := auditTotals{Servers: len(results)}
	for _, r := range results {
		switch {
		case r.skip != "":
			t.Skipped++
		case r.invalid != nil:
			t.Invalid++
		case r.err != nil:
			t.CouldNotCheck++
		case r.verdict.Verified:
			t.Verified++
		default:
			t.NotVerified++
		}
	}
	return t
}

func status(r result, check string) string {
	if r.verdict == nil {
		return "-"
	}
	if s := r.verdict.Check(check).Status; s != "" {
		return string(s)
	}
	return "-"
}

// writeAuditTable writes the table; with a trust policy (publishers), a PUBLISHER column
// names the publisher covering each image and its trust level.
func writeAuditTable(w io.Writer, results []result, publishers bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	pubHead, pubCol := "", func(result) string { return "" }
	if publishers {
		pubHead, pubCol = "PUBLISHER\t", func(r result) string { return publisherText(r.verdict) + "\t" }
	}
	fmt.Fprintln(tw, "SERVER\t"+pubHead+"PIN\tLABEL\tSIGNED\tTLOG\tPROVENANCE\tVERDICT")
	for _, r := range results {
		pin := r.policy.Pin.Commit
		if len(pin) > 12 {
			pin = pin[:12]
		}
		if pin == "" {
			pin = "-"
		}
		verdict := "VERIFIED"
		switch {
		case r.skip != "":
			verdict = "SKIPPED (" + r.skip + ")"
		case r.invalid != nil:
			verdict = "INVALID: " + r.invalid.Reason()
		case r.err != nil:
			verdict = "COULD NOT VERIFY: " + indeterminateText(r.err)
		case !r.verdict.Verified:
			verdict = "NOT VERIFIED: " + r.verdict.Reason
		}
		fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%s\t%s\t%s\n", r.label, pubCol(r), pin, status(r, verify.CheckLabel),
			status(r, verify.CheckSignature), status(r, verify.CheckTLog), status(r, verify.CheckProvenance), verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	t := totals(results)
	_, err := fmt.Fprintf(w, "\n%d servers: %d verified, %d not verified, %d could not check, %d skipped, %d invalid\n",
		t.Servers, t.Verified, t.NotVerified, t.CouldNotCheck, t.Skipped, t.Invalid)
	return err
}

type auditRow struct {
	Server  string          `json:"server"`
	Image   string          `json:"image,omitempty"`
	Skipped string          `json:"skipped,omitempty"`
	Error   string          `json:"error,omitempty"`
	Verdict *verify.Verdict `json:"verdict,omitempty"`
	// Invalid lists the catalog entry's errors (escaped); Error then names them too.
	Invalid []catalog.Diagnostic `json:"invalid,omitempty"`
}

func writeAuditJSON(w io.Writer, results []result) error {
	out := struct {
		Servers []auditRow  `json:"servers"`
		Totals  auditTotals `json:"totals"`
	}{Totals: totals(results)}
	for _, r := range results {
		row := auditRow{Server: r.label, Skipped: r.skip, Error: errText(r.err), Verdict: r.verdict}
		if r.ref != nil {
			row.Image = r.ref.Name()
		}
		if f := r.invalid; f != nil {
			row.Error = "invalid catalog entry: " + f.Reason()
			for _, d := range f.Errors {
				row.Invalid = append(row.Invalid, d.Escaped())
			}
		}
		out.Servers = append(out.Servers, row)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
