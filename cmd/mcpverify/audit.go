package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify"
)

func newAuditCmd(c *common) *cobra.Command {
	jobs, tag := 8, ""
	cmd := &cobra.Command{
		Use:   "audit [--catalog DIR] [-j N] [--tag TAG]",
		Short: "Verify every server of the catalog against the registry, as one table",
		Long: `audit verifies the image of every "server" entry of the catalog against its pin
and prints one table (server, pin, label, signed, tlog, provenance, verdict) with totals,
or JSON with --output json. Remote and poci entries are listed as skipped.
Exit codes as for mcpverify.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cliutil.Usagef("audit takes no arguments (use --catalog)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			servers, err := c.catalog.load(true)
			if err != nil {
				return err
			}
			if len(servers) == 0 {
				return cliutil.Usagef("catalog has no servers")
			}
			var targets []target
			for _, s := range servers {
				t := target{label: s.Name}
				if !s.Buildable() {
					t.skip = "type " + s.Type
					targets = append(targets, t)
					continue
				}
				if t.ref, err = c.serverRef(s); err != nil {
					return cliutil.Usagef("catalog entry %s: image %q: %v", s.Name, s.Image, err)
				}
				if tag != "" {
					t.ref = t.ref.Context().Tag(tag)
				}
				t.policy = c.policyFor(s.Pin())
				targets = append(targets, t)
			}
			results, err := c.verifyAll(cmd.Context(), cmd, targets, jobs)
			if err != nil {
				return err
			}
			if c.out.output == "json" {
				err = writeAuditJSON(cmd.OutOrStdout(), results)
			} else {
				err = writeAuditTable(cmd.OutOrStdout(), results)
			}
			if err != nil {
				return err
			}
			return resultsErr(results)
		},
	}
	cmd.Flags().IntVarP(&jobs, "jobs", "j", jobs, "servers verified in parallel")
	cmd.Flags().StringVar(&tag, "tag", "", "tag to verify for every image (default: the catalog's reference, i.e. latest)")
	return cmd
}

type auditTotals struct {
	Servers       int `json:"servers"`
	Verified      int `json:"verified"`
	NotVerified   int `json:"notVerified"`
	CouldNotCheck int `json:"couldNotCheck"`
	Skipped       int `json:"skipped"`
}

func totals(results []result) auditTotals {
	t := auditTotals{Servers: len(results)}
	for _, r := range results {
		switch {
		case r.skip != "":
			t.Skipped++
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

func writeAuditTable(w io.Writer, results []result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVER\tPIN\tLABEL\tSIGNED\tTLOG\tPROVENANCE\tVERDICT")
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
		case r.err != nil:
			verdict = "COULD NOT VERIFY: " + indeterminateText(r.err)
		case !r.verdict.Verified:
			verdict = "NOT VERIFIED: " + r.verdict.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.label, pin, status(r, verify.CheckLabel),
			status(r, verify.CheckSignature), status(r, verify.CheckTLog), status(r, verify.CheckProvenance), verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	t := totals(results)
	_, err := fmt.Fprintf(w, "\n%d servers: %d verified, %d not verified, %d could not check, %d skipped\n",
		t.Servers, t.Verified, t.NotVerified, t.CouldNotCheck, t.Skipped)
	return err
}

type auditRow struct {
	Server  string          `json:"server"`
	Image   string          `json:"image,omitempty"`
	Skipped string          `json:"skipped,omitempty"`
	Error   string          `json:"error,omitempty"`
	Verdict *verify.Verdict `json:"verdict,omitempty"`
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
		out.Servers = append(out.Servers, row)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
