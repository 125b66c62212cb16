package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// policyFixture writes keys, a trusted root and a policy with two publishers: mcp
// (official, key A as a PEM file, mcp/*) and acme (community, key B from env://ACME_KEY,
// <registry>/acme/*).
func policyFixture(t *testing.T) (f *verifytest.Fixture, policy string, env map[string]string, keyB *verifytest.SigSpec) {
	f = verifytest.New(t)
	dir := t.TempDir()
	f.WriteKeys(dir)
	b := verifytest.NewKey(t)
	past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.WriteFile(filepath.Join(dir, "trusted_root.json"), f.TrustedRootJSON(verifytest.RootLog{Key: f.RekorKey, Start: past}), 0o644); err != nil {
		t.Fatal(err)
	}
	policy = filepath.Join(dir, "policy.yaml")
	body := `apiVersion: mcpbuild.dev/v1alpha1
kind: TrustPolicy
transparencyLog: {trustedRoot: trusted_root.json}
publishers:
  - name: mcp
    trustLevel: official
    keys: [test-only-cosign.pub]
    images: ["mcp/*"]
    signaturesRepository: ` + f.SigRepo.Name() + `
  - name: acme
    trustLevel: community
    keys: ["env://ACME_KEY"]
    images: ["` + f.Host + `/acme/*"]
    signaturesRepository: ` + f.SigRepo.Name() + `
    requirements: {provenance: skip, signedRevision: true}
`
	if err := os.WriteFile(policy, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	env = map[string]string{"ACME_KEY": string(verifytest.PEM(t, &b.PublicKey))}
	return f, policy, env, &verifytest.SigSpec{Key: b}
}

func TestPolicyCLI(t *testing.T) {
	f, policy, env, byB := policyFixture(t)
	push := func(repo string, spec *verifytest.SigSpec) {
		img := f.PushImage(f.Repo(repo), "latest", verifytest.PinCommit)
		f.Sign(img, *spec)
	}
	push("mcp/alpha", &verifytest.SigSpec{})
	push("mcp/beta", byB)
	push("acme/tool", byB)
	push("other/x", &verifytest.SigSpec{})
	base := []string{"--policy", policy, "--registry", f.Host, "--commit", verifytest.PinCommit}
	cases := []struct {
		image string
		code  int
		want  []string
	}{
		{"mcp/alpha", cliutil.ExitOK, []string{"mcp/alpha: VERIFIED\n  publisher        mcp (official)\n  digest"}},
		{"acme/tool", cliutil.ExitOK, []string{"acme/tool: VERIFIED\n  publisher        acme (community)\n", "provenance       skipped  not requested"}},
		{"mcp/beta", cliutil.ExitFailed, []string{"mcp/beta: NOT VERIFIED: signature: ", ` (covered by publisher "mcp")` + "\n  digest"}},
		{"other/x", cliutil.ExitFailed, []string{"other/x: NOT VERIFIED: no publisher in the policy covers " + f.Repo("other/x").Name() + "\n  digest           skipped"}},
	}
	for _, c := range cases {
		t.Run(c.image, func(t *testing.T) {
			code, out, errs := cli(t, env, append(base, c.image)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, c.code, out, errs)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}

	code, out, errs := cli(t, env, append(base, "-o", "json", "acme/tool")...)
	var vd verify.Verdict
	if err := json.Unmarshal([]byte(out), &vd); err != nil || code != 0 || vd.Publisher != "acme" || vd.TrustLevel != verify.TrustCommunity {
		t.Errorf("json: exit %d %v %+v\n%s", code, err, vd, errs)
	}
	if !strings.Contains(out, `"publisher":"acme","trustLevel":"community"`) {
		t.Errorf("json lacks the publisher fields: %s", out)
	}
	// Not verified: no publisher or trust level that could read as a claim.
	code, out, errs = cli(t, env, append(base, "-o", "json", "mcp/beta")...)
	if code != cliutil.ExitFailed || strings.Contains(out, `"publisher"`) || strings.Contains(out, `"trustLevel"`) ||
		!strings.Contains(out, `(covered by publisher \"mcp\")`) {
		t.Errorf("json of a not verified image: exit %d\n%s\n%s", code, out, errs)
	}
	// A reference a registry could read as another repository is refused, not matched.
	code, out, errs = cli(t, env, append(base, "mcp/../acme/tool")...)
	if code != cliutil.ExitUsage || !strings.Contains(out+errs, `path segment ".."`) {
		t.Errorf("mcp/../acme/tool: exit %d, want %d naming the segment\n%s\n%s", code, cliutil.ExitUsage, out, errs)
	}

	cat := writeCatalog(t, map[string]string{
		"alpha": serverYAML("alpha", "mcp/alpha", verifytest.PinCommit),
		"beta":  serverYAML("beta", "mcp/beta", verifytest.PinCommit),
		"other": serverYAML("other", "other/x", verifytest.PinCommit),
	})
	code, out, errs = cli(t, env, "--policy", policy, "--registry", f.Host, "audit", "--catalog", cat)
	if code != cliutil.ExitFailed {
		t.Fatalf("audit: exit %d\n%s\n%s", code, out, errs)
	}
	for _, re := range []string{`(?m)^SERVER +PUBLISHER +PIN +LABEL`, `(?m)^alpha +mcp \(official\) +0123456789ab +pass +pass +pass +skipped +VERIFIED$`,
		`(?m)^beta +- +0123456789ab .* NOT VERIFIED: signature: .*\(covered by publisher "mcp"\)$`, `(?m)^other +- +0123456789ab .* NOT VERIFIED: no publisher in the policy covers `} {
		if !regexpMatch(re, out) {
			t.Errorf("audit table lacks %s:\n%s", re, out)
		}
	}
	// Without --policy the table is as it was.
	_, out, _ = cli(t, nil, append(flagsFor(t, f), "audit", "--catalog", cat)...)
	if strings.Contains(out, "PUBLISHER") {
		t.Errorf("audit without --policy has a PUBLISHER column:\n%s", out)
	}
}

func TestPolicyUsageErrors(t *testing.T) {
	f, policy, env, _ := policyFixture(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: mcpbuild.dev/v1alpha1\nkind: TrustPolicy\npublishers:\n  - name: x\n    trustLevel: gold\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"--registry", f.Host, "--commit", verifytest.PinCommit}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"with key", env, []string{"--policy", policy, "--key", "k.pub"}, "--policy and --key exclude each other"},
		{"with several", env, []string{"--policy", policy, "--trusted-root", "r.json", "--require-provenance"}, "--policy and --trusted-root, --require-provenance exclude each other"},
		{"audit with sigrepo", env, []string{"--policy", policy, "--signatures-repo", "x/y", "audit", "--catalog", t.TempDir()}, "--policy and --signatures-repo exclude each other"},
		{"invalid file", env, []string{"--policy", bad}, bad + ":5:17: publishers[0].trustLevel: \"gold\" is not a trust level"},
		{"missing file", env, []string{"--policy", bad + ".nope"}, "reading trust policy"},
		{"env key unset", nil, []string{"--policy", policy}, policy + ":12:12: publishers[1].keys[0]: key env://ACME_KEY: $ACME_KEY is unset or empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append(c.args, base...), "mcp/alpha")
			if slices.Contains(c.args, "audit") {
				args = c.args
			}
			code, out, errs := cli(t, c.env, args...)
			if code != cliutil.ExitUsage || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, want 2 with %q\nstdout:\n%s\nstderr:\n%s", code, c.want, out, errs)
			}
		})
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

// flagsFor is the one-publisher flags of f's keys.
func flagsFor(t *testing.T, f *verifytest.Fixture) []string {
	key, rekorKey := f.WriteKeys(t.TempDir())
	return []string{"--key", key, "--rekor-key", rekorKey, "--registry", f.Host, "--signatures-repo", f.SigRepo.Name()}
}
