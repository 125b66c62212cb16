package verify

import "testing"

// Whatever the checks report, a verdict is verified only with the digest, signature and
// label checks passed, and the tlog check too unless the log was opted out.
func TestFinishRequiresCoreChecks(t *testing.T) {
	all := func(over ...Check) []Check {
		cs := []Check{{Name: CheckDigest, Status: StatusPass}, {Name: CheckSignature, Status: StatusPass},
			{Name: CheckTLog, Status: StatusPass}, {Name: CheckLabel, Status: StatusPass},
			{Name: CheckSignedRevision, Status: StatusSkipped}, {Name: CheckProvenance, Status: StatusSkipped}}
		for _, o := range over {
			for i := range cs {
				if cs[i].Name == o.Name {
					cs[i] = o
				}
			}
		}
		return cs
	}
	for _, c := range []struct {
		name        string
		checks      []Check
		requireTLog bool
		verified    bool
		reason      string
	}{
		{"all pass", all(), true, true, ""},
		{"tlog skipped, log required", all(Check{Name: CheckTLog, Status: StatusSkipped}), true, false, "tlog: not checked"},
		{"tlog skipped, log opted out", all(Check{Name: CheckTLog, Status: StatusSkipped}), false, true, ""},
		{"label skipped", all(Check{Name: CheckLabel, Status: StatusSkipped}), true, false, "label: not checked"},
		{"signature missing", all()[:1], false, false, "signature: not checked"},
		{"label failed", all(Check{Name: CheckLabel, Status: StatusFail, Detail: "x"}), true, false, "label: x"},
		{"provenance errored", all(Check{Name: CheckProvenance, Status: StatusError, Detail: "y"}), true, false, "provenance: y"},
	} {
		vd := &Verdict{Checks: c.checks}
		vd.finish(c.requireTLog)
		if vd.Verified != c.verified || vd.Reason != c.reason || len(vd.Checks) != len(checkOrder) {
			t.Errorf("%s: verified %v reason %q (%d checks), want %v %q", c.name, vd.Verified, vd.Reason, len(vd.Checks), c.verified, c.reason)
		}
	}
}
