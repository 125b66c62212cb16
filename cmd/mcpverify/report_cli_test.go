package main

import (
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// audit and mcpverify IMAGE... with -o markdown and -o html against a registry: one
// verified server, one unsigned (not verified, exit 1), one remote (skipped).
func TestReportsCLI(t *testing.T) {
	f, flags := setup(t)
	a := f.PushImage(f.Repo("mcp/alpha"), "latest", verifytest.PinCommit)
	f.Sign(a)
	f.PushImage(f.Repo("mcp/unsigned"), "latest", verifytest.PinCommit)
	cat := writeCatalog(t, map[string]string{
		"alpha":          serverYAML("alpha", "mcp/alpha", verifytest.PinCommit),
		"unsigned":       serverYAML("unsigned", "mcp/unsigned", verifytest.PinCommit),
		"remote-example": remoteYAML,
	})
	short := f.Host + "/mcp/alpha@" + a.DigestStr()[:len("sha256:")+12]

	code, out, errs := cli(t, nil, append(flags, "audit", "--catalog", cat, "-o", "markdown")...)
	if code != cliutil.ExitFailed {
		t.Fatalf("audit -o markdown: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{
		"## mcpverify audit: ❌ 1 of 2 not verified\n",
		"**3 servers: 1 verified, 1 not verified, 0 could not check, 1 skipped, 0 invalid**",
		"| `alpha` | `" + short + "` | `" + verifytest.PinCommit[:12] + "` | ✅ VERIFIED |  |",
		"| `unsigned` | `", "| ❌ NOT VERIFIED | `signature: ",
		"| `remote-example` |  |  | ⏭️ SKIPPED | `type remote` |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("audit -o markdown lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = cli(t, nil, append(flags, "audit", "--catalog", cat, "-o", "html")...)
	if code != cliutil.ExitFailed || !strings.HasPrefix(out, "<!DOCTYPE html>") ||
		strings.Count(out, `data-status="fail" data-verdict="NOT VERIFIED"`) != 1 ||
		!strings.Contains(out, `<td class="name">alpha</td>`) {
		t.Errorf("audit -o html: exit %d\n%s", code, out)
	}

	code, out, _ = cli(t, nil, append(flags, "--catalog", cat, "-o", "markdown", f.Host+"/mcp/alpha")...)
	if code != 0 || !strings.HasPrefix(out, "## mcpverify: ✅ all 1 verified\n") ||
		!strings.Contains(out, "| Image argument | Image | Pin | Status | Reason |") {
		t.Errorf("mcpverify -o markdown IMAGE: exit %d\n%s", code, out)
	}

	code, out, errs = cli(t, nil, append(flags, "audit", "--catalog", cat, "-o", "xml")...)
	if code != cliutil.ExitUsage || out != "" || !strings.Contains(errs, `--output must be text, json, markdown or html, not "xml"`) {
		t.Errorf("-o xml: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
