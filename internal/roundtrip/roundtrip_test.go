package roundtrip_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/in-toto/in-toto-golang/in_toto"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/pemkey"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify"
)

const (
	pinCommit   = "0123456789abcdef0123456789abcdef01234567"
	otherCommit = "89abcdef0123456789abcdef0123456789abcdef"
	project     = "https://github.com/example/mcp-server"
)

// world is an in-memory registry, a transparency log in memory and a sign.Service that
// signs with a fresh publisher key into <registry>/mcp/signatures (verify's default).
type world struct {
	host   string
	log    *memLog
	svc    *sign.Service
	pub    crypto.PublicKey // the publisher's key
	logPub crypto.PublicKey // the log's key
}

func newWorld(t *testing.T) *world {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	w := &world{host: strings.TrimPrefix(srv.URL, "http://"), log: &memLog{key: newKey(t)}}
	w.logPub = &w.log.key.PublicKey
	priv, pubPEM, err := sign.GenerateKeyPair([]byte("roundtrip"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := sign.LoadKey(priv, []byte("roundtrip"))
	if err != nil {
		t.Fatal(err)
	}
	if w.pub, err = pemkey.ParsePublic(pubPEM); err != nil {
		t.Fatal(err)
	}
	if w.svc, err = sign.New(signer, sign.NewStore(w.repo(t, "mcp/signatures")), w.log); err != nil {
		t.Fatal(err)
	}
	return w
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (w *world) repo(t *testing.T, path string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(w.host + "/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// publish pushes a random image whose revision label is label to mcp/roundtrip:tag, then,
// as mcpbuild publish does, signs it with the revision and source claims of commit and
// attests SLSA v1 provenance of project at commit. It returns the image's tag.
func (w *world) publish(t *testing.T, ctx context.Context, tag, label, commit string) name.Tag {
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
	cf.Config.Labels = map[string]string{catalog.RevisionLabel: label}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	ref := w.repo(t, "mcp/roundtrip").Tag(tag)
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	d := ref.Context().Digest(h.String())
	if _, err := w.svc.SignImage(ctx, d, map[string]string{catalog.RevisionLabel: commit, catalog.SourceLabel: project}); err != nil {
		t.Fatalf("SignImage(%s) = %v", d, err)
	}
	if _, err := w.svc.Attest(ctx, d, provenance(t, d, commit)); err != nil {
		t.Fatalf("Attest(%s) = %v", d, err)
	}
	return ref
}

// provenance is an in-toto v1 statement about img with a SLSA v1 predicate as BuildKit
// records it for a git build context: project at commit.
func provenance(t *testing.T, img name.Digest, commit string) []byte {
	t.Helper()
	h := strings.TrimPrefix(img.DigestStr(), "sha256:")
	src := map[string]any{"uri": project + ".git#" + commit, "digest": map[string]string{"sha1": commit}}
	st := in_toto.Statement{
		StatementHeader: in_toto.StatementHeader{
			Type:          in_toto.StatementInTotoV1,
			PredicateType: slsa1.PredicateSLSAProvenance,
			Subject:       []in_toto.Subject{{Name: img.Context().Name(), Digest: map[string]string{"sha256": h}}},
		},
		Predicate: slsa1.ProvenancePredicate{
			BuildDefinition: slsa1.ProvenanceBuildDefinition{
				BuildType:          "https://mobyproject.org/buildkit@v1",
				ExternalParameters: map[string]any{"configSource": src},
				ResolvedDependencies: []slsa1.ResourceDescriptor{
					{URI: project + ".git#" + commit, Digest: map[string]string{"sha1": commit}},
				},
			},
			RunDetails: slsa1.ProvenanceRunDetails{Builder: slsa1.Builder{ID: "roundtrip"}},
		},
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// verifier trusts key and the log key logPub (the world's when nil).
func (w *world) verifier(t *testing.T, key, logPub crypto.PublicKey) *verify.Verifier {
	t.Helper()
	if logPub == nil {
		logPub = w.logPub
	}
	v, err := verify.New(key, verify.WithRekorPublicKey(logPub))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// policy pins project at commit and requires the signed revision and the provenance.
func policy(commit string) verify.Policy {
	return verify.Policy{Pin: catalog.Pin{Project: project, Commit: commit}, RequireSignedRevision: true,
		Provenance: verify.ProvenanceRequired}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// What sign.Service publishes, verify.Verifier verifies: every check passes, by tag and
// by digest, the signature's and the attestation's log entries included.
func TestSignedAndAttestedImageVerifies(t *testing.T) {
	ctx := ctxT(t)
	w := newWorld(t)
	tag := w.publish(t, ctx, "v1", pinCommit, pinCommit)
	if n := w.log.count(); n != 2 {
		t.Fatalf("log holds %d entries, want 2 (the signature's hashedrekord, the attestation's dsse)", n)
	}
	v := w.verifier(t, w.pub, nil)
	vd, err := v.Verify(ctx, tag, policy(pinCommit))
	if err != nil || !vd.Verified || vd.Indeterminate || vd.Reason != "" {
		t.Fatalf("Verify(%s) = %+v, %v; want verified", tag, vd, err)
	}
	for _, c := range vd.Checks {
		if c.Status != verify.StatusPass {
			t.Errorf("check %s = %s (%s), want pass", c.Name, c.Status, c.Detail)
		}
	}
	for check, want := range map[string]string{
		verify.CheckTLog:           "hashedrekord entry logIndex 0 verified offline",
		verify.CheckLabel:          catalog.RevisionLabel + "=" + pinCommit,
		verify.CheckSignedRevision: "signed " + catalog.RevisionLabel + "=" + pinCommit,
		verify.CheckProvenance:     "built from " + project + "@" + pinCommit,
	} {
		if d := vd.Check(check).Detail; !strings.Contains(d, want) {
			t.Errorf("check %s detail %q, want it to say %q", check, d, want)
		}
	}
	d, err := name.NewDigest(tag.Context().Name() + "@" + vd.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if vd, err := v.Verify(ctx, d, policy(pinCommit)); err != nil || !vd.Verified {
		t.Fatalf("Verify(%s) = %+v, %v; want verified", d, vd, err)
	}
}

// A published image verified against another key, another log, or a pin it was not
// built from is a definite "not verified" (nil error, not indeterminate), naming the check.
func TestTamperedRoundTripIsNotVerified(t *testing.T) {
	ctx := ctxT(t)
	w := newWorld(t)
	good := w.publish(t, ctx, "v1", pinCommit, pinCommit)
	// Signed and attested for the pin, but built (labelled) from another commit.
	relabelled := w.publish(t, ctx, "v2", otherCommit, pinCommit)
	for _, c := range []struct {
		name   string
		v      *verify.Verifier
		ref    name.Reference
		commit string
		check  string // the check that fails first
	}{
		{"another publisher key", w.verifier(t, &newKey(t).PublicKey, nil), good, pinCommit, verify.CheckSignature},
		{"another log key", w.verifier(t, w.pub, &newKey(t).PublicKey), good, pinCommit, verify.CheckTLog},
		{"label differs from the pin", w.verifier(t, w.pub, nil), relabelled, pinCommit, verify.CheckLabel},
		{"pin is another commit", w.verifier(t, w.pub, nil), good, otherCommit, verify.CheckLabel},
	} {
		t.Run(c.name, func(t *testing.T) {
			vd, err := c.v.Verify(ctx, c.ref, policy(c.commit))
			if err != nil || vd.Verified || vd.Indeterminate {
				t.Fatalf("Verify() = %+v, %v; want a definite no", vd, err)
			}
			if got := vd.Check(c.check); got.Status != verify.StatusFail || !strings.HasPrefix(vd.Reason, c.check+": ") {
				t.Errorf("check %s = %+v, reason %q; want it failed and named", c.check, got, vd.Reason)
			}
		})
	}
}
