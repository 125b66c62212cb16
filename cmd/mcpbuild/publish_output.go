package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/mcpbuild/mcpbuild/publish"
)

// writeReports prints the publish report: one line per server, or a JSON array of
// publish.Report (fields name, image, commit, signature, attestation, signatureLogIndex,
// attestationLogIndex, status, reason).
func writeReports(w io.Writer, format string, rs []publish.Report) error {
	if format == "json" {
		if rs == nil {
			rs = []publish.Report{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rs)
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
			_, err = fmt.Fprintf(w, "%s %s %s commit=%s reason=%q\n", r.Name, r.Status, orDash(r.Image), r.Commit, r.Reason)
		} else {
			_, err = fmt.Fprintf(w, "%s %s %s commit=%s signature=%s sig-log-index=%s attestation=%s att-log-index=%s\n",
				r.Name, r.Status, r.Image, r.Commit, r.Signature, idx(r.SignatureLogIndex), r.Attestation, idx(r.AttestationLogIndex))
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
