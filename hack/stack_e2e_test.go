//go:build e2e

package hack

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
)

// stackEnv returns the value of an env var written by `hack/stack up`, skipping the test
// when the stack's environment is not loaded.
func stackEnv(t *testing.T, name string) string {
	t.Helper()
	if os.Getenv("MCPBUILD_E2E") == "" {
		t.Skip("local stack not set up: run hack/stack up and . .stack/env")
	}
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set although MCPBUILD_E2E is: .stack/env is incomplete", name)
	}
	return v
}

func httpGet(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp, b
}

// TestStackGitDaemonServesFixtures: every fixture branch tip is the last commit of
// hashes.txt, and a commit that is not a tip can be fetched by its hash (as BuildKit does).
func TestStackGitDaemonServesFixtures(t *testing.T) {
	base := stackEnv(t, "MCPBUILD_E2E_GIT")
	b, err := os.ReadFile("../testdata/repos/hashes.txt")
	if err != nil {
		t.Fatal(err)
	}
	tips := map[string]string{}
	var nonTip fixtureCommit
	for _, c := range parseCommits(t, string(b)) {
		if prev, ok := tips[c.repo]; ok && nonTip.sha == "" {
			nonTip = fixtureCommit{c.repo, "", prev}
		}
		tips[c.repo] = c.sha
	}
	for repo, tip := range tips {
		out, err := exec.Command("git", "ls-remote", base+"/"+repo+".git", "refs/heads/main").Output()
		if err != nil {
			t.Fatalf("git ls-remote %s/%s.git: %v", base, repo, err)
		}
		if got := strings.Fields(string(out)); len(got) < 1 || got[0] != tip {
			t.Errorf("%s main = %q, want %s", repo, out, tip)
		}
	}
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("fetch", "-q", "--depth=1", base+"/"+nonTip.repo+".git", nonTip.sha)
	git("cat-file", "-e", nonTip.sha+"^{commit}")
}

// TestStackRegistryAnswers: the registry speaks the distribution v2 API over plain HTTP.
func TestStackRegistryAnswers(t *testing.T) {
	reg := stackEnv(t, "MCPBUILD_E2E_REGISTRY")
	resp, _ := httpGet(t, "http://"+reg+"/v2/")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Docker-Distribution-Api-Version") != "registry/2.0" {
		t.Errorf("GET /v2/ = %d %q, want 200 registry/2.0", resp.StatusCode, resp.Header.Get("Docker-Distribution-Api-Version"))
	}
}

// TestStackBuildKitHasOCIWorker: BUILDKIT_HOST reaches a buildkitd with an OCI worker.
func TestStackBuildKitHasOCIWorker(t *testing.T) {
	addr := stackEnv(t, "BUILDKIT_HOST")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := bkclient.New(ctx, addr)
	if err != nil {
		t.Fatalf("buildkit client for %s: %v", addr, err)
	}
	defer c.Close()
	ws, err := c.ListWorkers(ctx)
	if err != nil {
		t.Fatalf("list workers at %s: %v", addr, err)
	}
	if len(ws) == 0 || ws[0].Labels["org.mobyproject.buildkit.worker.executor"] != "oci" {
		t.Errorf("workers at %s = %+v, want one OCI worker", addr, ws)
	}
}

// TestStackBuildKitTLS: the second buildkitd answers over mutual TLS with the client
// directory .stack/env names (its certificate is for 127.0.0.1), and refuses a client
// without a certificate and one that trusts the unrelated CA.
func TestStackBuildKitTLS(t *testing.T) {
	addr := stackEnv(t, "MCPBUILD_E2E_BUILDKIT_TLS_ADDR")
	dir := stackEnv(t, "MCPBUILD_E2E_BUILDKIT_TLS_DIR")
	wrong := stackEnv(t, "MCPBUILD_E2E_BUILDKIT_TLS_WRONG_DIR")
	workers := func(opts ...bkclient.ClientOpt) ([]*bkclient.WorkerInfo, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := bkclient.New(ctx, addr, opts...)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		return c.ListWorkers(ctx)
	}
	ws, err := workers(bkclient.WithServerConfig("", filepath.Join(dir, "ca.pem")),
		bkclient.WithCredentials(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")))
	if err != nil || len(ws) == 0 || ws[0].Labels["org.mobyproject.buildkit.worker.executor"] != "oci" {
		t.Errorf("workers at %s over mutual TLS = %+v, %v; want one OCI worker", addr, ws, err)
	}
	if _, err := workers(bkclient.WithServerConfig("", filepath.Join(dir, "ca.pem"))); err == nil {
		t.Errorf("%s answered a client without a certificate", addr)
	}
	if _, err := workers(bkclient.WithServerConfig("", filepath.Join(wrong, "ca.pem")),
		bkclient.WithCredentials(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))); err == nil {
		t.Errorf("a client trusting only %s/ca.pem accepted %s's certificate", wrong, addr)
	}
	if _, err := workers(); err == nil {
		t.Errorf("%s answered in plain text", addr)
	}
}

// TestStackRekorKeyAndTrustedRoot: the key file is what Rekor serves, the log is the tree
// `up` created, and the cosign v3 trusted root names this Rekor with this key.
func TestStackRekorKeyAndTrustedRoot(t *testing.T) {
	url := stackEnv(t, "MCPBUILD_E2E_REKOR_URL")
	keyFile := stackEnv(t, "MCPBUILD_E2E_REKOR_PUBKEY")
	want, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	resp, got := httpGet(t, url+"/api/v1/log/publicKey")
	if resp.StatusCode != http.StatusOK || !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Errorf("Rekor public key = %d %q, file %s has %q", resp.StatusCode, got, keyFile, want)
	}
	_, info := httpGet(t, url+"/api/v1/log")
	var li struct {
		TreeID string `json:"treeID"`
	}
	if err := json.Unmarshal(info, &li); err != nil || li.TreeID == "" {
		t.Fatalf("Rekor log info %q: %v", info, err)
	}
	if tree, err := os.ReadFile(filepath.Join(os.Getenv("MCPBUILD_STATE"), "trillian", "tree-id")); err == nil {
		if strings.TrimSpace(string(tree)) != li.TreeID {
			t.Errorf("Rekor serves tree %s, hack/stack created %s", li.TreeID, tree)
		}
	}
	trFile := stackEnv(t, "MCPBUILD_E2E_TRUSTED_ROOT")
	tr, err := os.ReadFile(trFile)
	if err != nil {
		t.Fatal(err)
	}
	var root struct {
		Tlogs []struct {
			BaseURL   string `json:"baseUrl"`
			PublicKey struct {
				RawBytes []byte `json:"rawBytes"`
			} `json:"publicKey"`
		} `json:"tlogs"`
	}
	if err := json.Unmarshal(tr, &root); err != nil {
		t.Fatalf("%s: %v", trFile, err)
	}
	if len(root.Tlogs) != 1 || root.Tlogs[0].BaseURL != url ||
		!strings.Contains(strings.ReplaceAll(string(want), "\n", ""), base64.StdEncoding.EncodeToString(root.Tlogs[0].PublicKey.RawBytes)) {
		t.Errorf("trusted root %s names %+v, want only %s with the key of %s", trFile, root.Tlogs, url, keyFile)
	}
}

// TestStackCosignReferees: both cosign CLIs run and are the pinned versions.
func TestStackCosignReferees(t *testing.T) {
	for env, want := range map[string]string{"MCPBUILD_E2E_COSIGN2": "v2.6.", "MCPBUILD_E2E_COSIGN3": "v3.1."} {
		bin := stackEnv(t, env)
		out, err := exec.Command(bin, "version").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "GitVersion:    "+want) {
			t.Errorf("%s version: %v\n%s\nwant %s*", bin, err, out, want)
		}
	}
}

// TestStackStatusReportsAllUp: `hack/stack status` sees every service answering and names
// the Rekor URL and key file that .stack/env exports.
func TestStackStatusReportsAllUp(t *testing.T) {
	url := stackEnv(t, "MCPBUILD_E2E_REKOR_URL")
	key := stackEnv(t, "MCPBUILD_E2E_REKOR_PUBKEY")
	out, err := exec.Command("./stack", "status").CombinedOutput()
	if err != nil {
		t.Fatalf("hack/stack status: %v\n%s", err, out)
	}
	services := 0
	table, _, _ := strings.Cut(string(out), "\n\n")
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[0] != "SERVICE" {
			services++
			if f[2] != "up" {
				t.Errorf("status line %q: want up", line)
			}
		}
	}
	if services != 8 || !strings.Contains(string(out), "rekor url:       "+url) || !strings.Contains(string(out), key) {
		t.Errorf("hack/stack status printed %d services, want 8 and %s, %s:\n%s", services, url, key, out)
	}
}
