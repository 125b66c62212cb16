package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// One broken entry among good ones: audit still prints the whole table, verifies the
// others, lists the broken one as INVALID with its problems, and exits 1. alpha's catalog
// image carries a tag, which (as in mcpbuild) is dropped: it is looked up at :latest.
func TestAuditInvalidEntry(t *testing.T) {
	f, flags := setup(t)
	a := f.PushImage(f.Repo("mcp/alpha"), "latest", verifytest.PinCommit)
	f.Sign(a)
	f.Attest(a, verifytest.ProvSpec{Directory: "servers/alpha"})
	cat := writeCatalog(t, map[string]string{
		"alpha":          serverYAML("alpha", "mcp/alpha:1.0", verifytest.PinCommit),
		"broken":         serverYAML("broken", "mcp/broken", "main"),
		"hostile":        "name: \"hostile\\e[2J\\u202e\"\n",
		"remote-example": remoteYAML,
	})
	broken := filepath.Join(cat, "broken", "server.yaml")
	diag := broken + `:6:11: source.commit: "main" looks like a branch or tag name; pin a commit (40 lowercase hex)`

	code, out, errs := cli(t, nil, append(flags, "audit", "--catalog", cat)...)
	if code != cliutil.ExitFailed {
		t.Fatalf("audit exit %d, want 1\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"alpha ", " VERIFIED\n", "broken ", "INVALID: " + diag, `hostile\x1b[2J\u202e `,
		"remote-example", "SKIPPED (type remote)", "4 servers: 1 verified, 0 not verified, 0 could not check, 1 skipped, 2 invalid"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit table lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\u202e") {
		t.Errorf("unescaped text from the catalog in the table:\n%q", out)
	}
	if !strings.Contains(errs, `warning: `+filepath.Join(cat, "alpha", "server.yaml")+`:2:8: image: "mcp/alpha:1.0" carries a tag`) {
		t.Errorf("no warning for alpha's tag:\n%s", errs)
	}

	code, out, _ = cli(t, nil, append(flags, "audit", "--catalog", cat, "-o", "json")...)
	var res struct {
		Servers []auditRow  `json:"servers"`
		Totals  auditTotals `json:"totals"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != cliutil.ExitFailed {
		t.Fatalf("audit json: exit %d, %v\n%s", code, err, out)
	}
	if res.Totals != (auditTotals{Servers: 4, Verified: 1, Skipped: 1, Invalid: 2}) || len(res.Servers) != 4 {
		t.Fatalf("audit json totals = %+v", res.Totals)
	}
	var row auditRow
	for _, r := range res.Servers {
		if r.Server == "broken" {
			row = r
		}
	}
	want := []catalog.Diagnostic{{Path: broken, Line: 6, Col: 11, Field: "source.commit", Message: `"main" looks like a branch or tag name; pin a commit (40 lowercase hex)`}}
	if row.Error != "invalid catalog entry: "+diag || len(row.Invalid) != 1 || row.Invalid[0] != want[0] || row.Verdict != nil || row.Image != "" {
		t.Errorf("broken row = %+v", row)
	}
}
