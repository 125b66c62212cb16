//go:build e2e

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign"
)

const (
	e2eKeyA = "../../testdata/keys/test-only-a.key"
	e2ePubA = "../../testdata/keys/test-only-a.pub"
	e2eKeyB = "../../testdata/keys/test-only-b.key"
	e2ePubB = "../../testdata/keys/test-only-b.pub"
)

type signStack struct {
	e2eStack
	rekorURL, rekorPub, trustedRoot, cosign2, cosign3 string
}

func e2eSign(t *testing.T) signStack {
	t.Helper()
	s := signStack{e2eStack: e2e(t), rekorURL: os.Getenv("MCPBUILD_E2E_REKOR_URL"), rekorPub: os.Getenv("MCPBUILD_E2E_REKOR_PUBKEY"),
		trustedRoot: os.Getenv("MCPBUILD_E2E_TRUSTED_ROOT"), cosign2: os.Getenv("MCPBUILD_E2E_COSIGN2"), cosign3: os.Getenv("MCPBUILD_E2E_COSIGN3")}
	if s.rekorURL == "" || s.rekorPub == "" {
		t.Skip("needs Rekor in the local stack (MCPBUILD_E2E_REKOR_URL, MCPBUILD_E2E_REKOR_PUBKEY)")
	}
	t.Setenv(cliutil.EnvCosignPassword, testPass)
	t.Setenv(cliutil.EnvCosignRepo, "")
	return s
}

// unique returns a tag and signatures repository no other test run uses.
func (s signStack) unique(t *testing.T) (tag string, sigRepo string) {
	id := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	return id, s.registry + "/mcpbuild-e2e/sig-" + id
}

func (s signStack) publish(t *testing.T, tag, sigRepo, key string, extra ...string) ([]publish.Report, string, int, error) {
	t.Helper()
	args := append([]string{"publish", "--registry", s.registry, "--tag", tag, "--key", key, "--signatures-repo", sigRepo,
		"--rekor-url", s.rekorURL, "--progress", "quiet", "-o", "json", "-j", "2", s.mirror()}, extra...)
	out, stderr, code, err := run(t, args...)
	var rs []publish.Report
	if out != "" {
		if jerr := json.Unmarshal([]byte(out), &rs); jerr != nil {
			t.Fatalf("stdout is not the report: %v\n%s", jerr, out)
		}
	}
	return rs, stderr, code, err
}

func (s signStack) logSize(t *testing.T) int64 {
	t.Helper()
	r, err := sign.NewRekor(s.rekorURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	info, err := r.LogInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return *info.TreeSize
}

// layers returns the raw manifest and descriptors at <sigRepo>:sha256-<hex>.<suffix>.
func layers(t *testing.T, sigRepo, image, suffix string) ([]byte, []v1.Descriptor) {
	t.Helper()
	d, err := name.NewDigest(image)
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := name.NewRepository(sigRepo)
	h, _ := v1.NewHash(d.DigestStr())
	desc, err := remote.Get(sign.Tag(repo, h, suffix))
	if err != nil {
		t.Fatalf("reading %s tag of %s: %v", suffix, image, err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	return desc.Manifest, m.Layers
}

func pins(t *testing.T, pattern string) map[string]string {
	t.Helper()
	servers, _, err := catalog.Load([]string{pattern}, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range servers {
		if s.Buildable() {
			out[s.Name] = s.Source.Commit
		}
	}
	return out
}

// TestE2EPublishCatalog publishes the testdata catalog, has cosign v2 and v3 verify every
// signature and attestation, then publishes again: all unchanged, nothing new in Rekor or
// in the signatures repository.
func TestE2EPublishCatalog(t *testing.T) {
	s := e2eSign(t)
	pattern := filepath.Join(s.catalog, "...")
	want := pins(t, pattern)
	tag, sigRepo := s.unique(t)

	rs, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, pattern)
	if code != 0 {
		t.Fatalf("publish: exit %d, %v\n%s", code, err, stderr)
	}
	if len(rs) != len(want) {
		t.Fatalf("%d reports for %d servers", len(rs), len(want))
	}
	for _, r := range rs {
		if r.Status != publish.Published || r.Commit != want[r.Name] || r.SignatureLogIndex == nil || r.AttestationLogIndex == nil ||
			!strings.HasPrefix(r.Signature, sigRepo+":sha256-") || !strings.HasSuffix(r.Attestation, ".att") {
			t.Errorf("first publish of %s: %+v", r.Name, r)
		}
		if !strings.Contains(stderr, r.Name+": signing") {
			t.Errorf("no progress line for %s", r.Name)
		}
	}
	size := s.logSize(t)
	counts := map[string]int{}
	for _, r := range rs {
		t.Run(r.Name, func(t *testing.T) {
			raw, sigs := layers(t, sigRepo, r.Image, "sig")
			_, atts := layers(t, sigRepo, r.Image, "att")
			counts[r.Name] = len(sigs) + len(atts)
			if len(sigs) != 1 || len(atts) != 1 {
				t.Fatalf("%d signature and %d attestation layers, want 1 and 1", len(sigs), len(atts))
			}
			// The registry kept the manifest verbatim, OCI data field included.
			if !bytes.Contains(raw, []byte(`"data":`)) || len(sigs[0].Data) == 0 {
				t.Errorf("the registry dropped the descriptor data field:\n%s", raw)
			}
			p, err := sign.ParsePayload(sigs[0].Data)
			if err != nil || p.Critical.Image.DockerManifestDigest != strings.SplitN(r.Image, "@", 2)[1] {
				t.Errorf("embedded payload %s: %v", sigs[0].Data, err)
			}
			s.cosignVerify(t, sigRepo, r, want[r.Name], e2ePubA)
		})
	}

	// The second run talks to Rekor through a counting proxy: the shared log may grow from
	// other tests' entries meanwhile, but none may come from this publish.
	var posts atomic.Int32
	target, _ := url.Parse(s.rekorURL)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	rs2, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, "--rekor-url", proxy.URL, pattern)
	if code != 0 {
		t.Fatalf("second publish: exit %d, %v\n%s", code, err, stderr)
	}
	for i, r := range rs2 {
		if r.Status != publish.Unchanged || r.Image != rs[i].Image || *r.SignatureLogIndex != *rs[i].SignatureLogIndex ||
			*r.AttestationLogIndex != *rs[i].AttestationLogIndex {
			t.Errorf("second publish of %s: %+v, first %+v", r.Name, r, rs[i])
		}
		_, sigs := layers(t, sigRepo, r.Image, "sig")
		_, atts := layers(t, sigRepo, r.Image, "att")
		if len(sigs)+len(atts) != counts[r.Name] {
			t.Errorf("%s: %d layers after the second publish, %d before", r.Name, len(sigs)+len(atts), counts[r.Name])
		}
	}
	if n := posts.Load(); n != 0 {
		t.Errorf("unchanged publish sent %d entries to Rekor", n)
	}
	if got := s.logSize(t); got != size {
		t.Logf("Rekor log size %d -> %d during the unchanged publish: entries from concurrent tests (this run sent none)", size, got)
	}
}

// TestE2ECoSignatures: a cosign-made signature survives our publish, and ours survives a
// later cosign sign.
func TestE2ECoSignatures(t *testing.T) {
	s := e2eSign(t)
	if s.cosign2 == "" {
		t.Skip("needs MCPBUILD_E2E_COSIGN2")
	}
	pattern := filepath.Join(s.catalog, "pinned")
	pin := pins(t, pattern)["pinned"]
	tag, sigRepo := s.unique(t)
	out, stderr, code, err := run(t, "build", "--registry", s.registry, "--tag", tag, "--progress", "quiet", "-o", "json", s.mirror(), pattern)
	if code != 0 {
		t.Fatalf("build: exit %d, %v\n%s", code, err, stderr)
	}
	var built []resultJSON
	if err := json.Unmarshal([]byte(out), &built); err != nil || len(built) != 1 {
		t.Fatalf("build output %q: %v", out, err)
	}
	img := built[0].Image
	cosignSign := func() {
		t.Helper()
		if _, err := s.cosign(t, s.cosign2, sigRepo, "sign", "--key", e2eKeyB, "--rekor-url", s.rekorURL, "--yes",
			"-a", "by=cosign", "-a", fmt.Sprintf("n=%d", time.Now().UnixNano()), img); err != nil {
			t.Fatal(err)
		}
	}
	cosignSign()
	rs, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, pattern)
	if code != 0 || len(rs) != 1 || rs[0].Status != publish.Published || rs[0].Image != img {
		t.Fatalf("publish over a cosign signature: exit %d, %v, %+v\n%s", code, err, rs, stderr)
	}
	if _, sigs := layers(t, sigRepo, img, "sig"); len(sigs) != 2 {
		t.Errorf("%d signature layers after cosign sign + publish, want 2", len(sigs))
	}
	cosignSign()
	if _, sigs := layers(t, sigRepo, img, "sig"); len(sigs) != 3 {
		t.Errorf("%d signature layers after a second cosign sign, want 3", len(sigs))
	}
	for _, pub := range []string{e2ePubA, e2ePubB} {
		if _, err := s.cosign(t, s.cosign2, sigRepo, "verify", "--key", pub, "--rekor-url", s.rekorURL, img); err != nil {
			t.Errorf("key %s: %v", pub, err)
		}
	}
	if _, err := s.cosign(t, s.cosign2, sigRepo, "verify", "--key", e2ePubA, "--rekor-url", s.rekorURL,
		"-a", catalog.RevisionLabel+"="+pin, img); err != nil {
		t.Error(err)
	}
	// cosign v3 co-signs into the same legacy layout; every signature keeps verifying.
	if s.cosign3 != "" {
		if _, err := s.cosign(t, s.cosign3, sigRepo, "sign", "--use-signing-config=false", "--new-bundle-format=false",
			"--key", e2eKeyB, "--rekor-url", s.rekorURL, "--yes", "-a", "by=cosign3", img); err != nil {
			t.Fatal(err)
		}
		if _, sigs := layers(t, sigRepo, img, "sig"); len(sigs) != 4 {
			t.Errorf("%d signature layers after cosign v3 sign, want 4", len(sigs))
		}
		v3 := s.cosign3VerifyFlags(t)
		for _, pub := range []string{e2ePubA, e2ePubB} {
			if _, err := s.cosign(t, s.cosign3, sigRepo, append(append([]string{"verify", "--key", pub}, v3...), img)...); err != nil {
				t.Errorf("cosign3, key %s: %v", pub, err)
			}
		}
		if _, err := s.cosign(t, s.cosign2, sigRepo, "verify", "--key", e2ePubA, "--rekor-url", s.rekorURL, img); err != nil {
			t.Errorf("cosign2 after cosign3's co-signature: %v", err)
		}
	}
	// Still unchanged for us: our signature is there.
	rs, _, code, _ = s.publish(t, tag, sigRepo, e2eKeyA, pattern)
	if code != 0 || rs[0].Status != publish.Unchanged {
		t.Errorf("publish after cosign's co-signature: exit %d, %+v", code, rs)
	}
}
