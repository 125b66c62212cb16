package verify_test

import (
	"testing"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

func TestTamperMatrix(t *testing.T) {
	if len(verifytest.TamperCases()) < 15 {
		t.Fatalf("tamper matrix has %d cases, want at least 15", len(verifytest.TamperCases()))
	}
	for _, c := range verifytest.TamperCases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			f := verifytest.New(t)
			tp := verifytest.Policy{Commit: verifytest.PinCommit}
			ref := c.Setup(f, f.Repo("mcp/server"), &tp)
			p := policy()
			p.Pin.Commit = tp.Commit
			p.RequireSignedRevision = tp.RequireSignedRevision
			if tp.RequireProvenance {
				p.Provenance = verify.ProvenanceRequired
			}
			v, _ := newVerifier(f)
			vd, err := v.Verify(ctxT(t), ref, p)
			if err != nil {
				t.Fatalf("Verify() error = %v, want a definite verdict", err)
			}
			if vd.Verified {
				t.Fatalf("Verify() verified a tampered image: %+v", vd)
			}
			first, ok := vd.FirstFailure()
			if !ok || first.Name != c.Want || first.Status != verify.StatusFail {
				t.Fatalf("first failing check = %+v, want %s (verdict %+v)", first, c.Want, vd.Checks)
			}
			if vd.Err() == nil || verify.IsIndeterminate(vd.Err()) {
				t.Fatalf("Verdict.Err() = %v, want *Failure", vd.Err())
			}
			t.Logf("%s: %s", c.Name, vd.Reason)
		})
	}
}
