package verify_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// Two publishers with different keys over one registry: each image verifies only with
// the key of the publisher covering it; a publisher with two keys accepts either and says
// which; the requirements are the publisher's; an uncovered image is not verified and
// nothing is read for it.
func TestPolicyVerifierPublishers(t *testing.T) {
	f := verifytest.New(t)
	keyB := verifytest.NewKey(t)
	tlog := []verify.Option{verify.WithRekorPublicKey(&f.RekorKey.PublicKey), verify.WithSignaturesRepository(f.SigRepo)}
	a := verify.PublisherKey{Ref: "a.pub", Key: &f.Key.PublicKey}
	b := verify.PublisherKey{Ref: "env://B", Key: &keyB.PublicKey}
	stats := &verify.Stats{}
	pv, err := verify.NewPolicyVerifier(verify.TrustPolicy{Publishers: []verify.Publisher{
		{Name: "mcp", TrustLevel: verify.TrustOfficial, Keys: []verify.PublisherKey{a}, Images: []string{"mcp/*"},
			Provenance: verify.ProvenanceRequired, Options: tlog},
		{Name: "acme", TrustLevel: verify.TrustCommunity, Keys: []verify.PublisherKey{b}, Images: []string{f.Host + "/acme/*"},
			Provenance: verify.ProvenanceSkip, RequireSignedRevision: true, Options: tlog},
		{Name: "both", TrustLevel: verify.TrustVerified, Keys: []verify.PublisherKey{a, b}, Images: []string{"multi/**"}, Options: tlog},
		// More specific than mcp/*: this one image belongs to acme.
		{Name: "acme-in-mcp", TrustLevel: verify.TrustCommunity, Keys: []verify.PublisherKey{b}, Images: []string{"mcp/acme"}, Options: tlog},
	}}, verify.WithStats(stats))
	if err != nil {
		t.Fatal(err)
	}
	push := func(repo string, key *verifytest.SigSpec, attest bool) string {
		img := f.PushImage(f.Repo(repo), "latest", verifytest.PinCommit)
		if key != nil {
			f.Sign(img, *key)
		}
		if attest {
			f.Attest(img, verifytest.ProvSpec{})
		}
		return img.String()
	}
	byA, byB := &verifytest.SigSpec{}, &verifytest.SigSpec{Key: keyB}
	cases := []struct {
		name, image, publisher string
		level                  verify.TrustLevel
		reason                 string // "" verified
		detail                 string // in the signature check
	}{
		{"A's image by A", push("mcp/alpha", byA, true), "mcp", verify.TrustOfficial, "", "verifies with the key"},
		{"A's image by B", push("mcp/beta", byB, true), "mcp", verify.TrustOfficial, "signature: ", ""},
		{"A requires provenance", push("mcp/noprov", byA, false), "mcp", verify.TrustOfficial, "provenance: ", ""},
		{"B's image by B", push("acme/tool", byB, false), "acme", verify.TrustCommunity, "", ""},
		{"B's image by A", push("acme/evil", byA, false), "acme", verify.TrustCommunity, "signature: ", ""},
		{"exact beats glob", push("mcp/acme", byB, false), "acme-in-mcp", verify.TrustCommunity, "", ""},
		{"two keys, first", push("multi/x/one", byA, false), "both", verify.TrustVerified, "", "(key 1 of 2: a.pub)"},
		{"two keys, second", push("multi/x/two", byB, false), "both", verify.TrustVerified, "", "(key 2 of 2: env://B)"},
		{"two keys, neither", push("multi/x/three", &verifytest.SigSpec{Key: verifytest.NewKey(t)}, false), "both", verify.TrustVerified, "signature: ", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vd, err := pv.Verify(ctxT(t), mustRef(t, c.image), policy())
			if err != nil {
				t.Fatal(err)
			}
			// Only a verified verdict names the publisher; any other names the covering
			// publisher in its reason, not as a claim.
			wantPub, wantLevel := c.publisher, c.level
			if c.reason != "" {
				wantPub, wantLevel = "", ""
				if suffix := fmt.Sprintf(" (covered by publisher %q)", c.publisher); !strings.HasSuffix(vd.Reason, suffix) {
					t.Errorf("reason %q lacks %q", vd.Reason, suffix)
				}
			}
			if vd.Publisher != wantPub || vd.TrustLevel != wantLevel {
				t.Errorf("publisher %q (%s), want %q (%s)", vd.Publisher, vd.TrustLevel, wantPub, wantLevel)
			}
			switch {
			case c.reason == "" && !vd.Verified:
				t.Errorf("not verified: %s", vd.Reason)
			case c.reason != "" && (vd.Verified || !strings.HasPrefix(vd.Reason, c.reason)):
				t.Errorf("verified=%v reason %q, want not verified with %q", vd.Verified, vd.Reason, c.reason)
			}
			if sig := vd.Check(verify.CheckSignature); !strings.Contains(sig.Detail, c.detail) {
				t.Errorf("signature detail %q lacks %q", sig.Detail, c.detail)
			}
		})
	}
	// B's requirements: signed revision required, provenance not looked for.
	vd, _ := pv.Verify(ctxT(t), mustRef(t, cases[3].image), policy())
	if p := vd.Check(verify.CheckProvenance); p.Status != verify.StatusSkipped || p.Detail != "not requested" {
		t.Errorf("acme provenance = %+v, want skipped: not requested", p)
	}
	unclaimed := push("acme/unclaimed", &verifytest.SigSpec{Key: keyB, Claims: map[string]any{}}, false)
	if vd, _ := pv.Verify(ctxT(t), mustRef(t, unclaimed), policy()); vd.Verified || !strings.HasPrefix(vd.Reason, "signed-revision: ") {
		t.Errorf("acme without a signed revision: verified=%v %s", vd.Verified, vd.Reason)
	}

	before := stats.Snapshot().RegistryRequests
	img := push("other/x", byA, true)
	vd, err = pv.Verify(ctxT(t), mustRef(t, img), policy())
	if err != nil || vd.Verified || vd.Publisher != "" || vd.Reason != "no publisher in the policy covers "+f.Repo("other/x").Name() {
		t.Errorf("uncovered: %v, verified=%v publisher %q reason %q", err, vd.Verified, vd.Publisher, vd.Reason)
	}
	if vd.Err() == nil || stats.Snapshot().RegistryRequests != before {
		t.Errorf("uncovered: Err() = %v, %d registry requests, want a failure and none", vd.Err(), stats.Snapshot().RegistryRequests-before)
	}
	if p, pat, ok := pv.Publisher(f.Repo("mcp/acme")); !ok || p.Name != "acme-in-mcp" || pat != "mcp/acme" {
		t.Errorf("Publisher(mcp/acme) = %q %q %v", p.Name, pat, ok)
	}
}

func TestNewPolicyVerifierRefuses(t *testing.T) {
	f := verifytest.New(t)
	key := []verify.PublisherKey{{Ref: "a.pub", Key: &f.Key.PublicKey}}
	tlog := []verify.Option{verify.WithRekorPublicKey(&f.RekorKey.PublicKey)}
	ok := func() verify.Publisher {
		return verify.Publisher{Name: "p", TrustLevel: verify.TrustOfficial, Keys: key, Images: []string{"mcp/*"}, Options: tlog}
	}
	with := func(m func(*verify.Publisher)) []verify.Publisher { p := ok(); m(&p); return []verify.Publisher{p} }
	cases := map[string]struct {
		pubs []verify.Publisher
		want string
	}{
		"no publisher":   {nil, "no publisher"},
		"no name":        {with(func(p *verify.Publisher) { p.Name = "" }), "no name"},
		"bad level":      {with(func(p *verify.Publisher) { p.TrustLevel = "trusted" }), `trust level "trusted"`},
		"no key":         {with(func(p *verify.Publisher) { p.Keys = nil }), "no key"},
		"nil key":        {with(func(p *verify.Publisher) { p.Keys = []verify.PublisherKey{{Ref: "x"}} }), "key 1 (x) is nil"},
		"no images":      {with(func(p *verify.Publisher) { p.Images = nil }), "covers no image pattern"},
		"bad pattern":    {with(func(p *verify.Publisher) { p.Images = []string{"mcp/x:1"} }), "tag or digest"},
		"no tlog":        {with(func(p *verify.Publisher) { p.Options = nil }), `publisher "p", key 1 (a.pub): no transparency-log policy`},
		"duplicate name": {[]verify.Publisher{ok(), ok()}, "name used twice"},
		"tie":            {[]verify.Publisher{ok(), with(func(p *verify.Publisher) { p.Name, p.Images = "q", []string{"mcp/**"} })[0]}, `"mcp/**" is as specific as "mcp/*" of publisher "p"`},
	}
	for n, c := range cases {
		t.Run(n, func(t *testing.T) {
			_, err := verify.NewPolicyVerifier(verify.TrustPolicy{Publishers: c.pubs})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("NewPolicyVerifier = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// countingTransport counts the requests whose path ends with suffix.
type countingTransport struct {
	suffix string
	n      atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, c.suffix) {
		c.n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// With several keys, the tag is resolved once: the keys after the first verify the digest
// it resolved to, and the verdict still names the tag; the number of keys and publishers
// is bounded.
func TestPolicyVerifierResolvesTagOnce(t *testing.T) {
	f := verifytest.New(t)
	keyB := verifytest.NewKey(t)
	ct := &countingTransport{suffix: "/manifests/v1"}
	tlog := []verify.Option{verify.WithRekorPublicKey(&f.RekorKey.PublicKey), verify.WithSignaturesRepository(f.SigRepo)}
	keys := []verify.PublisherKey{{Ref: "a.pub", Key: &f.Key.PublicKey}, {Ref: "b.pub", Key: &keyB.PublicKey}}
	pv, err := verify.NewPolicyVerifier(verify.TrustPolicy{Publishers: []verify.Publisher{
		{Name: "both", TrustLevel: verify.TrustVerified, Keys: keys, Images: []string{"multi/**"}, Options: tlog},
	}}, verify.WithTransport(ct))
	if err != nil {
		t.Fatal(err)
	}
	img := f.PushImage(f.Repo("multi/x"), "v1", verifytest.PinCommit)
	f.Sign(img, verifytest.SigSpec{Key: keyB})
	tag := f.Repo("multi/x").Tag("v1")
	vd, err := pv.Verify(ctxT(t), tag, policy())
	if err != nil || !vd.Verified {
		t.Fatalf("Verify = %v, verified=%v %s", err, vd.Verified, vd.Reason)
	}
	if got := ct.n.Load(); got != 1 {
		t.Errorf("%d requests for the tag's manifest, want 1 (the tag resolved once for both keys)", got)
	}
	if d := vd.Check(verify.CheckDigest).Detail; vd.Image != tag.Name() || d != img.DigestStr()+" (tag v1 resolved once)" {
		t.Errorf("image %q, digest check %q, want %s and the tag resolved once", vd.Image, d, tag.Name())
	}
	if sig := vd.Check(verify.CheckSignature).Detail; !strings.HasSuffix(sig, "(key 2 of 2: b.pub)") {
		t.Errorf("signature detail %q", sig)
	}

	many := make([]verify.PublisherKey, verify.MaxPublisherKeys+1)
	for i := range many {
		many[i] = keys[0]
	}
	if _, err := verify.NewPolicyVerifier(verify.TrustPolicy{Publishers: []verify.Publisher{
		{Name: "many", TrustLevel: verify.TrustVerified, Keys: many, Images: []string{"multi/**"}, Options: tlog},
	}}); err == nil || !strings.Contains(err.Error(), "9 keys, at most 8") {
		t.Errorf("NewPolicyVerifier(9 keys) = %v", err)
	}
	pubs := make([]verify.Publisher, verify.MaxPublishers+1)
	for i := range pubs {
		pubs[i] = verify.Publisher{Name: fmt.Sprint("p", i), TrustLevel: verify.TrustVerified, Keys: keys[:1],
			Images: []string{fmt.Sprint("multi/p", i)}, Options: tlog}
	}
	if _, err := verify.NewPolicyVerifier(verify.TrustPolicy{Publishers: pubs}); err == nil || !strings.Contains(err.Error(), "65 publishers, at most 64") {
		t.Errorf("NewPolicyVerifier(65 publishers) = %v", err)
	}
}
