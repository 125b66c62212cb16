package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// An unchanged catalog audited again with the cache makes no GET: HEADs only, and the
// same output.
func TestAuditWarmCache(t *testing.T) {
	f, flags := setup(t)
	entries := map[string]string{}
	for _, n := range []string{"alpha", "beta", "gamma"} {
		img := f.PushImage(f.Repo("mcp/"+n), "latest", verifytest.PinCommit)
		f.Sign(img, verifytest.SigSpec{NoData: true})
		f.Attest(img, verifytest.ProvSpec{Directory: "servers/" + n, NoData: true})
		entries[n] = serverYAML(n, "mcp/"+n, verifytest.PinCommit)
	}
	cat := writeCatalog(t, entries)
	dir := t.TempDir()
	args := append(flags, "--cache-dir", dir, "audit", "--catalog", cat, "--stats")
	code, cold, coldErrs := cli(t, nil, args...)
	// Cold: each tag is read with one GET (no hint yet), and the images are new, so their
	// .sig and .att tags are read with a GET at once: no HEAD, and everything cached.
	if code != cliutil.ExitOK || !strings.Contains(coldErrs, "HEADs: 0") || !strings.Contains(coldErrs, "cache: 0 hits") {
		t.Fatalf("cold audit: exit %d\n%s\n%s", code, cold, coldErrs)
	}
	code, warm, errs := cli(t, nil, args...)
	if code != cliutil.ExitOK || warm != cold {
		t.Fatalf("warm audit: exit %d\n%s\nwant\n%s", code, warm, cold)
	}
	if !strings.Contains(errs, "(GET 0, HEAD 9)") || !strings.Contains(errs, "manifest GETs: 0, blob GETs: 0, HEADs: 9") {
		t.Errorf("warm audit stats: %s", errs)
	}
	// --no-cache: every read is a GET again.
	_, _, errs = cli(t, nil, append(flags, "--no-cache", "audit", "--catalog", cat, "--stats")...)
	if !strings.Contains(errs, "HEAD 0)") || strings.Contains(errs, "cache:") {
		t.Errorf("--no-cache stats: %s", errs)
	}
}

func TestCacheFlags(t *testing.T) {
	f, flags := setup(t)
	img := f.PushImage(f.Repo("mcp/alpha"), "latest", verifytest.PinCommit)
	f.Sign(img)
	code, _, errs := cli(t, nil, append(flags, "--no-cache", "--cache-dir", t.TempDir(), "--commit", verifytest.PinCommit, "mcp/alpha:latest")...)
	if code != cliutil.ExitUsage || !strings.Contains(errs, "--no-cache and --cache-dir conflict") {
		t.Fatalf("--no-cache --cache-dir: exit %d\n%s", code, errs)
	}
	// The default is under the user's cache directory, as the environment names it.
	xdg := t.TempDir()
	env := map[string]string{"XDG_CACHE_HOME": xdg, "HOME": t.TempDir()}
	code, out, errs := cli(t, env, append(flags, "--skip-provenance", "--stats", "--commit", verifytest.PinCommit, "mcp/alpha:latest")...)
	if code != cliutil.ExitOK || !strings.Contains(errs, "HEAD 0)") || !strings.Contains(errs, "cache: 0 hits, 1 misses") {
		t.Fatalf("default cache: exit %d\n%s\n%s", code, out, errs)
	}
	if es, err := os.ReadDir(filepath.Join(xdg, "mcpverify", "sha256")); err != nil || len(es) == 0 {
		t.Errorf("default cache directory: %v, %d entries", err, len(es))
	}
	// A --cache-dir that cannot be made is a usage error.
	file := filepath.Join(t.TempDir(), "file")
	_ = os.WriteFile(file, nil, 0o600)
	code, _, errs = cli(t, nil, append(flags, "--cache-dir", filepath.Join(file, "sub"), "--commit", verifytest.PinCommit, "mcp/alpha:latest")...)
	if code != cliutil.ExitUsage || !strings.Contains(errs, "--cache-dir") {
		t.Fatalf("bad --cache-dir: exit %d\n%s", code, errs)
	}
}
