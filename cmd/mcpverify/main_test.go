package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// cli runs mcpverify in-process and returns exit code, stdout and stderr.
func cli(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

// setup makes a fixture with keys on disk and returns the common flags.
func setup(t *testing.T) (*verifytest.Fixture, []string) {
	f := verifytest.New(t)
	key, rekorKey := f.WriteKeys(t.TempDir())
	return f, []string{"--key", key, "--rekor-key", rekorKey, "--registry", f.Host}
}

func writeCatalog(t *testing.T, entries map[string]string) string {
	dir := t.TempDir()
	for n, body := range entries {
		if err := os.MkdirAll(filepath.Join(dir, n), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n, "server.yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func serverYAML(name, image, commit string) string {
	return fmt.Sprintf(`name: %s
image: %s
type: server
source:
  project: %s
  commit: %s
  directory: servers/%s
`, name, image, verifytest.Project, commit, name)
}

const remoteYAML = `name: remote-example
type: remote
remote:
  transport_type: streamable-http
  url: https://mcp.example.invalid/mcp
`

func TestVerifiedByCommitAndCatalog(t *testing.T) {
	f, flags := setup(t)
	img := f.PushImage(f.Repo("mcp/alpha"), "latest", verifytest.PinCommit)
	f.Sign(img)
	f.Attest(img, verifytest.ProvSpec{Directory: "servers/alpha"})

	code, out, errs := cli(t, nil, append(flags, "--commit", verifytest.PinCommit, "mcp/alpha:latest")...)
	if code != cliutil.ExitOK || !strings.Contains(out, "mcp/alpha:latest: VERIFIED\n  digest           pass     "+img.DigestStr()) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}

	cat := writeCatalog(t, map[string]string{"alpha": serverYAML("alpha", "mcp/alpha", verifytest.PinCommit)})
	code, out, errs = cli(t, nil, append(flags, "--catalog", cat, "--require-provenance", "--require-signed-revision", "-o", "json", "mcp/alpha")...)
	if code != cliutil.ExitOK {
		t.Fatalf("catalog pin: exit %d\n%s\n%s", code, out, errs)
	}
	var vd verify.Verdict
	if err := json.Unmarshal([]byte(out), &vd); err != nil {
		t.Fatalf("json output %q: %v", out, err)
	}
	if !vd.Verified || vd.Image != img.Context().Tag("latest").Name() || vd.Pin.Commit != verifytest.PinCommit || vd.Check(verify.CheckProvenance).Status != verify.StatusPass {
		t.Fatalf("json verdict = %+v", vd)
	}

	// A full reference without --registry matches the catalog's host-less image.
	code, out, errs = cli(t, nil, "--key", flags[1], "--rekor-key", flags[3], "--catalog", cat, img.Context().Tag("latest").String())
	if code != cliutil.ExitOK {
		t.Fatalf("full reference, catalog pin: exit %d\n%s\n%s", code, out, errs)
	}

	// Catalog pin changed after publish.
	moved := writeCatalog(t, map[string]string{"alpha": serverYAML("alpha", "mcp/alpha", verifytest.OtherCommit)})
	code, out, _ = cli(t, nil, append(flags, "--catalog", moved, "mcp/alpha")...)
	if code != cliutil.ExitFailed || !strings.Contains(out, "NOT VERIFIED: label:") {
		t.Fatalf("moved pin: exit %d\n%s", code, out)
	}
}

func TestStats(t *testing.T) {
	f, flags := setup(t)
	img := f.PushImage(f.Repo("mcp/alpha"), "latest", verifytest.PinCommit)
	f.Sign(img)
	code, out, errs := cli(t, nil, append(flags, "--commit", verifytest.PinCommit, "--skip-provenance", "--stats", "mcp/alpha:latest")...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "registry requests: 3 (GET 3, HEAD 0) in 2 round trips") || strings.Contains(out, "stats") {
		t.Fatalf("stats on stderr = %q (stdout %q)", errs, out)
	}
}

func TestUsageErrors(t *testing.T) {
	f, flags := setup(t)
	key := flags[1]
	cases := map[string][]string{
		"no image":          append(flags, "--commit", verifytest.PinCommit),
		"no key":            {"--rekor-key", flags[3], "--commit", verifytest.PinCommit, f.Host + "/mcp/a"},
		"no tlog policy":    {"--key", key, "--commit", verifytest.PinCommit, f.Host + "/mcp/a"},
		"bad source mirror": append(flags, "--source-mirror", "https://github.com/", "--commit", verifytest.PinCommit, "mcp/a"),
		// mcpbuild's rule (catalog.ParseMirror), which mcpverify used to accept:
		"mirror TO no URL":  append(flags, "--source-mirror", "https://github.com/=mirror/", "--commit", verifytest.PinCommit, "mcp/a"),
		"mirror FROM twice": append(flags, "--source-mirror", "https://a/=git://m1/", "--source-mirror", "https://a/=git://m2/", "--commit", verifytest.PinCommit, "mcp/a"),
		"rekor key and url": append(flags, "--rekor-url", "http://127.0.0.1:1", "--commit", verifytest.PinCommit, "mcp/a"),
		"offline rekorurl":  {"--key", key, "--offline", "--rekor-url", "http://127.0.0.1:1", "--commit", verifytest.PinCommit, f.Host + "/mcp/a"},
		"no pin":            append(flags, "--catalog", writeCatalog(t, map[string]string{"b": serverYAML("b", "mcp/b", verifytest.PinCommit)}), "mcp/a"),
		"short commit":      append(flags, "--commit", "abc123", "mcp/a"),
		"bad output":        append(flags, "--commit", verifytest.PinCommit, "-o", "yaml", "mcp/a"),
		"bad flag":          append(flags, "--no-such-flag", "mcp/a"),
		"unknown kms":       {"--key", "nosuchkms://k", "--rekor-key", flags[3], "--commit", verifytest.PinCommit, f.Host + "/mcp/a"},
		"bad platform":      append(flags, "--commit", verifytest.PinCommit, "--platform", "linux", "mcp/a"),
		"remote entry":      append(flags, "--catalog", writeCatalog(t, map[string]string{"remote-example": remoteYAML}), "mcp/a"),
	}
	for n, args := range cases {
		t.Run(n, func(t *testing.T) {
			code, out, errs := cli(t, nil, args...)
			if code != cliutil.ExitUsage {
				t.Fatalf("exit %d, want 2\n%s\n%s", code, out, errs)
			}
		})
	}
}

// Every tamper case is exit 1 with the right failing check, through the command.
func TestTamperMatrixCLI(t *testing.T) {
	for _, c := range verifytest.TamperCases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			f, flags := setup(t)
			p := verifytest.Policy{Commit: verifytest.PinCommit}
			ref := c.Setup(f, f.Repo("mcp/server"), &p)
			// The pin comes from a catalog (so the provenance's project is checked too).
			cat := writeCatalog(t, map[string]string{"server": serverYAML("server", "mcp/server", p.Commit)})
			args := append(flags, "--catalog", cat)
			if p.RequireProvenance {
				args = append(args, "--require-provenance")
			}
			if p.RequireSignedRevision {
				args = append(args, "--require-signed-revision")
			}
			code, out, errs := cli(t, nil, append(args, ref.String())...)
			if code != cliutil.ExitFailed || !strings.Contains(out, ": NOT VERIFIED: "+c.Want+": ") {
				t.Fatalf("exit %d, want 1 with %s failing\nstdout:\n%s\nstderr:\n%s", code, c.Want, out, errs)
			}
		})
	}
}

func TestFaultsExit3(t *testing.T) {
	faults := map[string]func(w http.ResponseWriter){
		"500": func(w http.ResponseWriter) { http.Error(w, "boom", 500) },
		"429": func(w http.ResponseWriter) { http.Error(w, "slow down", 429) },
		// A proxy's error page with status 200: not a manifest, so not "unsigned" either.
		"HTML 200": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><body>Service Unavailable</body></html>"))
		},
		"dropped": func(w http.ResponseWriter) {
			if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
				c.Close()
			}
		},
	}
	for n, fault := range faults {
		t.Run(n, func(t *testing.T) {
			t.Parallel()
			f, flags := setup(t)
			img := f.PushImage(f.Repo("mcp/alpha"), "v1", verifytest.PinCommit)
			f.Sign(img)
			f.Hook = func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, ".sig") {
					fault(w)
					return true
				}
				return false
			}
			code, out, errs := cli(t, nil, append(flags, "--commit", verifytest.PinCommit, "mcp/alpha:v1")...)
			if code != cliutil.ExitUnreachable || !strings.Contains(out, "mcp/alpha:v1: COULD NOT VERIFY: signature: ") || strings.Contains(out, "NOT VERIFIED") || strings.Contains(out, "unsigned") {
				t.Fatalf("exit %d, want 3\nstdout:\n%s\nstderr:\n%s", code, out, errs)
			}
		})
	}
	t.Run("registry down", func(t *testing.T) {
		f, flags := setup(t)
		f.Server.Close() // connection refused
		code, out, errs := cli(t, nil, append(flags, "--commit", verifytest.PinCommit, "-o", "json", "mcp/alpha:v1")...)
		var vd verify.Verdict
		if err := json.Unmarshal([]byte(out), &vd); err != nil || code != cliutil.ExitUnreachable || vd.Verified ||
			!vd.Indeterminate || vd.Check(verify.CheckDigest).Status != verify.StatusError || strings.Contains(out, "unsigned") {
			t.Fatalf("exit %d, want 3 with the digest check errored (%v)\nstdout:\n%s\nstderr:\n%s", code, err, out, errs)
		}
	})
	t.Run("slow registry", func(t *testing.T) {
		f, flags := setup(t)
		img := f.PushImage(f.Repo("mcp/alpha"), "v1", verifytest.PinCommit)
		f.Sign(img)
		f.Hook = func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/manifests/") {
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			}
			return false
		}
		start := time.Now()
		code, out, errs := cli(t, nil, append(flags, "--commit", verifytest.PinCommit, "--timeout", "300ms", "mcp/alpha:v1")...)
		if code != cliutil.ExitUnreachable || !strings.Contains(out, "timed out after 300ms") || time.Since(start) > 5*time.Second {
			t.Fatalf("exit %d after %v\nstdout:\n%s\nstderr:\n%s", code, time.Since(start), out, errs)
		}
	})
}

// --offline makes no request to anything but the registry, even with a Rekor URL set.
func TestOfflineNoRekor(t *testing.T) {
	f, flags := setup(t)
	img := f.PushImage(f.Repo("mcp/alpha"), "v1", verifytest.PinCommit)
	f.Sign(img)
	var hits atomic.Int32
	rekor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); w.WriteHeader(500) }))
	defer rekor.Close()
	env := map[string]string{cliutil.EnvRekorURL: rekor.URL}
	code, out, errs := cli(t, env, append(flags, "--offline", "--commit", verifytest.PinCommit, "mcp/alpha:v1")...)
	if code != 0 || hits.Load() != 0 {
		t.Fatalf("offline: exit %d, rekor hits %d\n%s\n%s", code, hits.Load(), out, errs)
	}
	// --offline without the log key: a usage error, not a request to $MCPBUILD_REKOR_URL.
	code, _, errs = cli(t, env, "--key", flags[1], "--registry", f.Host, "--offline", "--commit", verifytest.PinCommit, "mcp/alpha:v1")
	if code != cliutil.ExitUsage || hits.Load() != 0 {
		t.Fatalf("offline without --rekor-key: exit %d, rekor hits %d\n%s", code, hits.Load(), errs)
	}
	// Without --offline and without a key, the key is fetched: Rekor answering 500 means
	// "could not check" (exit 3), never "unsigned".
	code, out, _ = cli(t, env, "--key", flags[1], "--registry", f.Host, "--commit", verifytest.PinCommit, "mcp/alpha:v1")
	if code != cliutil.ExitUnreachable || hits.Load() == 0 || !strings.Contains(out, ": COULD NOT VERIFY: tlog: fetching rekor public key") {
		t.Fatalf("rekor 500: exit %d, hits %d\n%s", code, hits.Load(), out)
	}
	// Rekor down (connection refused): the same.
	rekor.Close()
	code, out, _ = cli(t, env, "--key", flags[1], "--registry", f.Host, "--commit", verifytest.PinCommit, "mcp/alpha:v1")
	if code != cliutil.ExitUnreachable || !strings.Contains(out, ": COULD NOT VERIFY: tlog: ") || strings.Contains(out, "NOT VERIFIED") {
		t.Fatalf("unreachable rekor: exit %d\n%s", code, out)
	}
}

func TestAudit(t *testing.T) {
	f, flags := setup(t)
	a := f.PushImage(f.Repo("mcp/alpha"), "latest", verifytest.PinCommit)
	f.Sign(a)
	f.Attest(a, verifytest.ProvSpec{Directory: "servers/alpha"})
	f.PushImage(f.Repo("mcp/beta"), "latest", verifytest.PinCommit) // unsigned
	cat := writeCatalog(t, map[string]string{
		"alpha":          serverYAML("alpha", "mcp/alpha", verifytest.PinCommit),
		"beta":           serverYAML("beta", "mcp/beta", verifytest.PinCommit),
		"remote-example": remoteYAML,
	})
	code, out, errs := cli(t, nil, append(flags, "audit", "--catalog", cat, "-j", "2", "--stats")...)
	if code != cliutil.ExitFailed {
		t.Fatalf("audit exit %d, want 1\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "mcpverify stats: 2 image(s) in ") { // the remote entry is not an image
		t.Errorf("audit stats: %s", errs)
	}
	for _, want := range []string{"SERVER", "PROVENANCE", "alpha", "VERIFIED", "beta", "NOT VERIFIED: signature:", "remote-example", "SKIPPED (type remote)",
		"3 servers: 1 verified, 1 not verified, 0 could not check, 1 skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = cli(t, nil, append(flags, "audit", "--catalog", cat, "-o", "json")...)
	var res struct {
		Servers []struct {
			Server  string          `json:"server"`
			Skipped string          `json:"skipped"`
			Verdict *verify.Verdict `json:"verdict"`
		} `json:"servers"`
		Totals map[string]int `json:"totals"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 {
		t.Fatalf("audit json: exit %d, %v\n%s", code, err, out)
	}
	if res.Totals["verified"] != 1 || res.Totals["notVerified"] != 1 || res.Totals["skipped"] != 1 || len(res.Servers) != 3 {
		t.Fatalf("audit json totals = %v", res.Totals)
	}
}
