package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// Trust material as cosign users have it: --key env://VAR, $SIGSTORE_REKOR_PUBLIC_KEY,
// --trusted-root FILE; every way verifies the same signed image, and two explicit
// sources of the log key are a usage error naming both.
func TestTrustMaterial(t *testing.T) {
	f := verifytest.New(t)
	dir := t.TempDir()
	key, rekorKey := f.WriteKeys(dir)
	root := filepath.Join(dir, "trusted_root.json")
	past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.WriteFile(root, f.TrustedRootJSON(verifytest.RootLog{Key: verifytest.NewKey(t), Start: past},
		verifytest.RootLog{Key: f.RekorKey, Start: past}), 0o644); err != nil {
		t.Fatal(err)
	}
	expired := filepath.Join(dir, "expired_root.json")
	if err := os.WriteFile(expired, f.TrustedRootJSON(verifytest.RootLog{Key: f.RekorKey, Start: past, End: past.Add(time.Hour)}), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.json")
	if err := os.WriteFile(garbage, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	pubPEM, _ := os.ReadFile(key)
	img := f.PushImage(f.Repo("mcp/alpha"), "latest", verifytest.PinCommit)
	f.Sign(img)
	base := []string{"--registry", f.Host, "--commit", verifytest.PinCommit}
	env := map[string]string{"PUBKEY": string(pubPEM), cliutil.EnvRekorPublicKey: rekorKey, "JUNK": "not a key"}
	noEnv := map[string]string{}

	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string // in stdout+stderr
	}{
		{"key env", env, []string{"--key", "env://PUBKEY", "--rekor-key", rekorKey}, cliutil.ExitOK, "VERIFIED"},
		{"rekor key from env", env, []string{"--key", key}, cliutil.ExitOK, "VERIFIED"},
		{"trusted root", noEnv, []string{"--key", key, "--trusted-root", root}, cliutil.ExitOK, "VERIFIED"},
		{"trusted root over env", env, []string{"--key", key, "--trusted-root", root}, cliutil.ExitOK, "VERIFIED"},
		{"trusted root offline", noEnv, []string{"--key", key, "--trusted-root", root, "--offline"}, cliutil.ExitOK, "VERIFIED"},
		{"expired log key", noEnv, []string{"--key", key, "--trusted-root", expired}, cliutil.ExitFailed, "outside the log key's validity"},
		{"garbage root", noEnv, []string{"--key", key, "--trusted-root", garbage}, cliutil.ExitUsage, "--trusted-root: " + garbage + ": parsing trusted root"},
		{"missing root", noEnv, []string{"--key", key, "--trusted-root", filepath.Join(dir, "nope.json")}, cliutil.ExitUsage, "--trusted-root: open"},
		{"env var unset", env, []string{"--key", "env://NOPE"}, cliutil.ExitUsage, "--key env://NOPE: $NOPE is unset or empty"},
		{"env var not a key", env, []string{"--key", "env://JUNK"}, cliutil.ExitUsage, "--key env://JUNK: $JUNK: decoding public key"},
		{"env rekor key bad", map[string]string{cliutil.EnvRekorPublicKey: key + ".nope"}, []string{"--key", key}, cliutil.ExitUsage, "$" + cliutil.EnvRekorPublicKey + ": reading public key"},
		{"root and rekor key", noEnv, []string{"--key", key, "--trusted-root", root, "--rekor-key", rekorKey}, cliutil.ExitUsage, "--trusted-root and --rekor-key exclude each other"},
		{"root and rekor url", noEnv, []string{"--key", key, "--trusted-root", root, "--rekor-url", "http://127.0.0.1:1"}, cliutil.ExitUsage, "--trusted-root and --rekor-url exclude each other"},
		{"root and ignore", noEnv, []string{"--key", key, "--trusted-root", root, "--insecure-ignore-tlog"}, cliutil.ExitUsage, "--insecure-ignore-tlog and --trusted-root exclude each other"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := cli(t, c.env, append(append(c.args, base...), f.Host+"/mcp/alpha:latest")...)
			if code != c.code || !strings.Contains(out+errs, c.want) {
				t.Errorf("exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", code, c.code, c.want, out, errs)
			}
		})
	}
}
