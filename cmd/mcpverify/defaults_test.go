package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// The environment fills --registry ($MCPBUILD_REGISTRY) and --signatures-repo
// ($COSIGN_REPOSITORY); flags win over it.
func TestEnvironmentDefaults(t *testing.T) {
	f := verifytest.New(t)
	key, rekorKey := f.WriteKeys(t.TempDir())
	img := f.PushImage(f.Repo("mcp/alpha"), "v1", verifytest.PinCommit)
	f.Sign(img) // into <host>/mcp/signatures
	args := []string{"--key", key, "--rekor-key", rekorKey, "--commit", verifytest.PinCommit, "mcp/alpha:v1"}

	env := map[string]string{cliutil.EnvRegistry: f.Host, cliutil.EnvCosignRepo: f.Host + "/elsewhere/signatures"}
	code, out, _ := cli(t, env, args...)
	if code != cliutil.ExitFailed || !strings.Contains(out, "NOT VERIFIED: signature: no signatures for "+img.DigestStr()+" in "+f.Host+"/elsewhere/signatures") {
		t.Fatalf("$COSIGN_REPOSITORY not used: exit %d\n%s", code, out)
	}
	code, out, _ = cli(t, env, append([]string{"--signatures-repo", f.SigRepo.Name()}, args...)...)
	if code != cliutil.ExitOK {
		t.Fatalf("--signatures-repo over $COSIGN_REPOSITORY: exit %d\n%s", code, out)
	}
	delete(env, cliutil.EnvCosignRepo) // default: <registry>/mcp/signatures
	if code, out, _ = cli(t, env, args...); code != cliutil.ExitOK || !strings.Contains(out, "mcp/alpha:v1: VERIFIED\n") || !strings.Contains(out, " in "+f.Host+"/mcp/signatures verifies") {
		t.Fatalf("$MCPBUILD_REGISTRY and the default signatures repository: exit %d\n%s", code, out)
	}
}

// Without --commit and --catalog, the pin comes from ./servers when it exists.
func TestDefaultCatalogDirectory(t *testing.T) {
	f, flags := setup(t)
	img := f.PushImage(f.Repo("mcp/alpha"), "v1", verifytest.PinCommit)
	f.Sign(img)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "servers", "alpha"), 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := serverYAML("alpha", "mcp/alpha", verifytest.PinCommit)
	if err := os.WriteFile(filepath.Join(dir, "servers", "alpha", "server.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, out, errs := cli(t, nil, append(flags, "-o", "json", "mcp/alpha:v1")...)
	if code != cliutil.ExitOK || !strings.Contains(out, `"directory":"servers/alpha"`) {
		t.Fatalf("pin from ./servers: exit %d\n%s\n%s", code, out, errs)
	}
	t.Chdir(t.TempDir()) // no ./servers: no pin
	if code, _, errs = cli(t, nil, append(flags, "mcp/alpha:v1")...); code != cliutil.ExitUsage || !strings.Contains(errs, "no pin") {
		t.Fatalf("no ./servers: exit %d, want 2\n%s", code, errs)
	}
}
