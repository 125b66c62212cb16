package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// Past --timeout, the verdict printed is the library's (mcpverify builds none): JSON with
// every check, indeterminate, its reason naming the flag (the deadline's cause), and the
// .sig read it interrupted; exit 3.
func TestTimeoutVerdictIsTheLibrarys(t *testing.T) {
	_, flags := hangingSignatures(t, hostile.Hang())
	code, out, errs := cli(t, nil, append(flags, "--request-timeout", "20s", "--timeout", "300ms", "-o", "json", "mcp/alpha:v1")...)
	var vd verify.Verdict
	if err := json.Unmarshal([]byte(out), &vd); err != nil || code != cliutil.ExitUnreachable {
		t.Fatalf("exit %d (%v)\nstdout:\n%s\nstderr:\n%s", code, err, out, errs)
	}
	if vd.Verified || !vd.Indeterminate || !strings.HasPrefix(vd.Reason, "timeout: timed out after 300ms (--timeout)") || len(vd.Checks) != 6 {
		t.Fatalf("verdict %+v; want indeterminate, reason naming --timeout, all checks", vd)
	}
	if c := vd.Check(verify.CheckSignature); c.Status != verify.StatusError || !strings.Contains(c.Detail, ".sig") {
		t.Errorf("signature check %+v; want the interrupted .sig read", c)
	}
	if vd.Check(verify.CheckDigest).Status != verify.StatusPass || vd.Digest == "" || vd.Pin.Commit != verifytest.PinCommit {
		t.Errorf("verdict %+v; want the digest resolved before the deadline and the pin", vd)
	}
}
