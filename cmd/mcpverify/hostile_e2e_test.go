//go:build e2e

package main

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// pushTo pushes a small random image labelled with commit as repo:tag.
func pushTo(t *testing.T, repo name.Repository, tag, commit string) name.Digest {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.Labels = map[string]string{catalog.RevisionLabel: commit}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Tag(tag), img); err != nil {
		t.Fatal(err)
	}
	h, _ := img.Digest()
	return repo.Digest(h.String())
}

// e2eService signs with the e2e key through the stack's Rekor into sigRepo.
func e2eService(t *testing.T, s stack, sigRepo name.Repository) *sign.Service {
	t.Helper()
	signer, err := sign.LoadKeyFile(e2eKey, []byte(e2ePass))
	if err != nil {
		t.Fatal(err)
	}
	rk, err := sign.NewRekor(s.rekorURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := sign.New(signer, sign.NewStore(sigRepo), rk)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// publishTo signs img (revision claim) and attests SLSA v1 provenance for it with
// mcpbuild's signing library, through the stack's Rekor, into sigRepo.
func publishTo(t *testing.T, s stack, sigRepo name.Repository, img name.Digest) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	svc := e2eService(t, s, sigRepo)
	if _, err := svc.SignImage(ctx, img, map[string]string{catalog.RevisionLabel: verifytest.PinCommit}); err != nil {
		t.Fatal(err)
	}
	h := strings.TrimPrefix(img.DigestStr(), "sha256:")
	stmt := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":%q,"digest":{"sha256":%q}}],`+
		`"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://mobyproject.org/buildkit@v1",`+
		`"externalParameters":{"configSource":{"uri":%q,"digest":{"sha1":%q}}}},"runDetails":{"builder":{"id":"https://example.invalid/e2e"}}}}`,
		img.Context().Name(), h, verifytest.Project+".git#"+verifytest.PinCommit, verifytest.PinCommit)
	if _, err := svc.Attest(ctx, img, []byte(stmt)); err != nil {
		t.Fatal(err)
	}
}

// apiPath is the exact registry API path of ref's manifest, as a rule's regexp.
func apiPath(ref name.Reference) string {
	return "^" + regexp.QuoteMeta("/v2/"+ref.Context().RepositoryStr()+"/manifests/"+ref.Identifier()) + "$"
}

// Issue 8 parts 1 and 6 against the real registry, behind a hostile proxy: an unsigned
// image X served as a signed, attested image Y (Y's body, a schema1 Content-Type,
// Docker-Content-Digest: X, and Y's .sig and .att for X's) is exit 3 naming the digest
// mismatch, not VERIFIED; a proxy's HTML error page with status 200 for the tag or the
// .sig manifest is exit 3, not 1 ("unsigned").
func TestE2EHostileRegistryReads(t *testing.T) {
	s := e2eStack(t)
	proxy, err := hostile.NewProxy("http://" + s.registry)
	if err != nil {
		t.Fatal(err)
	}
	host := proxy.Start(t)
	run := fmt.Sprint(time.Now().UnixNano())
	repo, err := name.NewRepository(host + "/mcpverify-e2e/hostile-" + run)
	if err != nil {
		t.Fatal(err)
	}
	sigRepo, err := name.NewRepository(host + "/mcpverify-e2e/hostile-signatures-" + run)
	if err != nil {
		t.Fatal(err)
	}
	x := pushTo(t, repo, "unsigned", verifytest.PinCommit)
	y := pushTo(t, repo, "v1", verifytest.PinCommit)
	publishTo(t, s, sigRepo, y)
	verifyArgs := func(ref string) []string {
		return []string{"--key", e2ePub, "--rekor-key", s.rekorPub, "--signatures-repo", sigRepo.Name(),
			"--commit", verifytest.PinCommit, "--require-signed-revision", "--require-provenance", ref}
	}
	code, out, errs := cli(t, nil, verifyArgs(y.String())...)
	expectVerified(t, code, out, errs)

	t.Run("digest substitution", func(t *testing.T) {
		proxy.Clear()
		desc, err := remote.Get(y)
		if err != nil {
			t.Fatal(err)
		}
		rawY := desc.Manifest
		lie := proxy.On(http.MethodGet, apiPath(x), hostile.Edit(func(_ *http.Request, r *hostile.Response) {
			r.Body = rawY
			r.Header.Set("Content-Type", "application/vnd.docker.distribution.manifest.v1+prettyjws")
			r.Header.Set("Docker-Content-Digest", x.DigestStr())
		}))
		hx, _ := v1.NewHash(x.DigestStr())
		hy, _ := v1.NewHash(y.DigestStr())
		for _, suffix := range []string{sign.SignatureSuffix, sign.AttestationSuffix} {
			from := "/v2/" + sigRepo.RepositoryStr() + "/manifests/" + sign.Tag(sigRepo, hy, suffix).TagStr()
			proxy.On(http.MethodGet, apiPath(sign.Tag(sigRepo, hx, suffix)), hostile.ServeFrom(from))
		}
		code, out, errs := cli(t, nil, verifyArgs(x.String())...)
		if lie.Hits() == 0 {
			t.Fatal("the substitution never hit")
		}
		if code != cliutil.ExitUnreachable || !strings.Contains(out, ": COULD NOT VERIFY: digest: ") ||
			!strings.Contains(out, "hashing to "+y.DigestStr()) || strings.Contains(out, ": VERIFIED") {
			t.Fatalf("exit %d, want 3 naming the digest mismatch\nstdout:\n%s\nstderr:\n%s", code, out, errs)
		}
	})

	html := hostile.Respond(http.StatusOK, "<html><body><h1>Service Unavailable</h1></body></html>", "Content-Type", "text/html")
	t.Run("HTML 200 for the tag", func(t *testing.T) {
		proxy.Clear()
		rule := proxy.On(http.MethodGet, apiPath(repo.Tag("v1")), html)
		code, out, errs := cli(t, nil, verifyArgs(repo.Tag("v1").String())...)
		if rule.Hits() == 0 || code != cliutil.ExitUnreachable || !strings.Contains(out, ": COULD NOT VERIFY: digest: ") ||
			!strings.Contains(out, "text/html is not accepted") || strings.Contains(out, "unsigned") {
			t.Fatalf("hits %d; exit %d, want 3\nstdout:\n%s\nstderr:\n%s", rule.Hits(), code, out, errs)
		}
	})
	t.Run("HTML 200 for the .sig", func(t *testing.T) {
		proxy.Clear()
		hy, _ := v1.NewHash(y.DigestStr())
		rule := proxy.On(http.MethodGet, apiPath(sign.Tag(sigRepo, hy, sign.SignatureSuffix)), html)
		code, out, errs := cli(t, nil, verifyArgs(y.String())...)
		if rule.Hits() == 0 || code != cliutil.ExitUnreachable || !strings.Contains(out, ": COULD NOT VERIFY: signature: ") ||
			strings.Contains(out, "NOT VERIFIED") {
			t.Fatalf("hits %d; exit %d, want 3\nstdout:\n%s\nstderr:\n%s", rule.Hits(), code, out, errs)
		}
	})
}
