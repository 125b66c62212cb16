package verify_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// schema1 is Docker's signed schema1 manifest type, which go-containerregistry trusts
// Docker-Content-Digest for.
const schema1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"

// manifestPath is the registry API path of ref's manifest, as a rule's exact regexp.
func manifestPath(ref name.Reference) string {
	return "^" + regexp.QuoteMeta("/v2/"+ref.Context().RepositoryStr()+"/manifests/"+ref.Identifier()) + "$"
}

// rawPath is the registry API path of ref's manifest.
func rawPath(ref name.Reference) string {
	return "/v2/" + ref.Context().RepositoryStr() + "/manifests/" + ref.Identifier()
}

func sigTag(f *verifytest.Fixture, img name.Digest, suffix string) name.Tag {
	h, _ := v1.NewHash(img.DigestStr())
	return sign.Tag(f.SigRepo, h, suffix)
}

func rawManifestOf(t *testing.T, ref name.Reference) []byte {
	t.Helper()
	d, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	return d.Manifest
}

// strictPolicy is every requirement mcpverify has a flag for.
func strictPolicy() verify.Policy {
	p := policy()
	p.RequireSignedRevision = true
	p.Provenance = verify.ProvenanceRequired
	return p
}

// Issue 8 part 1: the GET of unsigned image X by digest is answered with the body of a
// signed image Y, a schema1 content type and Docker-Content-Digest: X (ggcr trusts that
// header for schema1), and X's .sig and .att tags with Y's. It verified as Y. The body
// does not hash to X: could not check, naming the mismatch, and the verdict is about X.
func TestDigestSubstitutionAttack(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/subst")
	x := f.PushImage(repo, "unsigned", verifytest.PinCommit)
	y := f.PushImage(repo, "signed", verifytest.PinCommit)
	f.Sign(y)
	f.Attest(y)
	v, _ := newVerifier(f)
	if vd, err := v.Verify(ctxT(t), y, strictPolicy()); err != nil || !vd.Verified {
		t.Fatalf("Y does not verify by itself: %+v, %v", vd, err)
	}

	rawY := rawManifestOf(t, y)
	lie := f.Hostile.On(http.MethodGet, manifestPath(x), hostile.Edit(func(_ *http.Request, r *hostile.Response) {
		r.Body = rawY
		r.Header.Set("Content-Type", schema1)
		r.Header.Set("Docker-Content-Digest", x.DigestStr())
	}))
	for _, suffix := range []string{sign.SignatureSuffix, sign.AttestationSuffix} {
		f.Hostile.On(http.MethodGet, manifestPath(sigTag(f, x, suffix)), hostile.ServeFrom(rawPath(sigTag(f, y, suffix))))
	}
	vd, err := v.Verify(ctxT(t), x, strictPolicy())
	if lie.Hits() == 0 {
		t.Fatal("the substitution rule never hit")
	}
	if vd == nil || vd.Verified || !vd.Indeterminate || !verify.IsIndeterminate(err) {
		t.Fatalf("Verify(X served as Y) = %+v, %v; want indeterminate", vd, err)
	}
	c := vd.Check(verify.CheckDigest)
	yHex := strings.TrimPrefix(y.DigestStr(), "sha256:")
	if c.Status != verify.StatusError || !strings.Contains(c.Detail, x.DigestStr()) || !strings.Contains(c.Detail, yHex) {
		t.Fatalf("digest check = %+v; want error naming %s and the body's digest %s", c, x.DigestStr(), y.DigestStr())
	}
	if vd.Digest == y.DigestStr() {
		t.Fatalf("verdict digest is the substituted body's %s", vd.Digest)
	}
}

// A tag is resolved by exactly one GET: every later read is by the digest that GET's body
// hashes to, so a registry answering successive GETs of the tag with different images
// cannot have the signature checked on one and the label on another.
func TestTagResolvedOnce(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/flip")
	// signed has the wrong label; unsigned the right one: mixing them would verify.
	signed := f.PushImage(repo, "signed", verifytest.OtherCommit)
	f.Sign(signed)
	unsigned := f.PushImage(repo, "unsigned", verifytest.PinCommit)
	tag := repo.Tag("flip")
	for _, c := range []struct {
		first, then name.Digest
		want        string
	}{{signed, unsigned, verify.CheckLabel}, {unsigned, signed, verify.CheckSignature}} {
		f.Hostile.Clear()
		before := f.Hostile.Count(http.MethodGet, manifestPath(tag))
		f.Hostile.On("", manifestPath(tag), hostile.Sequence(hostile.ServeFrom(rawPath(c.first)), hostile.ServeFrom(rawPath(c.then))))
		v, _ := newVerifier(f)
		vd, err := v.Verify(ctxT(t), tag, policy())
		if err != nil || vd.Verified || vd.Digest != c.first.DigestStr() {
			t.Fatalf("Verify(flipping tag) = %+v, %v; want a definite no about %s", vd, err, c.first.DigestStr())
		}
		if first, _ := vd.FirstFailure(); first.Name != c.want {
			t.Errorf("first failure = %+v, want %s", first, c.want)
		}
		if n := f.Hostile.Count(http.MethodGet, manifestPath(tag)) - before; n != 1 || f.Hostile.Count(http.MethodHead, manifestPath(tag)) != 0 {
			t.Errorf("tag read %d times by GET (and %d by HEAD), want exactly one GET", n, f.Hostile.Count(http.MethodHead, manifestPath(tag)))
		}
	}
}
