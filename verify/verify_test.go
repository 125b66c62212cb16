package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

func newVerifier(f *verifytest.Fixture, opts ...verify.Option) (*verify.Verifier, *verify.Stats) {
	f.T.Helper()
	st := &verify.Stats{}
	base := []verify.Option{verify.WithRekorPublicKey(&f.RekorKey.PublicKey), verify.WithSignaturesRepository(f.SigRepo), verify.WithStats(st)}
	v, err := verify.New(&f.Key.PublicKey, append(base, opts...)...)
	if err != nil {
		f.T.Fatal(err)
	}
	return v, st
}

func policy() verify.Policy {
	return verify.Policy{Pin: catalog.Pin{Project: verifytest.Project, Commit: verifytest.PinCommit}}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	f := verifytest.New(t)
	cases := map[string]struct {
		key  bool
		opts []verify.Option
	}{
		"no key":          {key: false, opts: []verify.Option{verify.WithoutTLogUnsafe()}},
		"no tlog policy":  {key: true},
		"two tlog policy": {key: true, opts: []verify.Option{verify.WithoutTLogUnsafe(), verify.WithRekorPublicKey(&f.RekorKey.PublicKey)}},
		"bad rekor url":   {key: true, opts: []verify.Option{verify.WithRekorURL("ftp://x")}},
	}
	for n, c := range cases {
		t.Run(n, func(t *testing.T) {
			var err error
			if c.key {
				_, err = verify.New(&f.Key.PublicKey, c.opts...)
			} else {
				_, err = verify.New(nil, c.opts...)
			}
			if err == nil {
				t.Fatal("New() accepted an incomplete configuration")
			}
		})
	}
	if _, err := verify.New(&f.Key.PublicKey, verify.WithoutTLogUnsafe()); err != nil {
		t.Fatalf("New() with explicit opt-out = %v", err)
	}
}

func TestVerifyByTagAndDigest(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/alpha")
	img := f.PushImage(repo, "latest", verifytest.PinCommit)
	f.Sign(img)
	v, st := newVerifier(f)

	vd, err := v.Verify(ctxT(t), repo.Tag("latest"), verify.Policy{Pin: policy().Pin, Provenance: verify.ProvenanceSkip, RequireSignedRevision: true})
	if err != nil {
		t.Fatal(err)
	}
	if !vd.Verified || vd.Digest != img.DigestStr() {
		t.Fatalf("Verify(tag) = %+v, want verified %s", vd, img.DigestStr())
	}
	for _, c := range []string{verify.CheckDigest, verify.CheckSignature, verify.CheckTLog, verify.CheckLabel, verify.CheckSignedRevision} {
		if got := vd.Check(c).Status; got != verify.StatusPass {
			t.Errorf("check %s = %s (%s), want pass", c, got, vd.Check(c).Detail)
		}
	}
	s := st.Snapshot()
	if s.RegistryRequests != 3 || s.RoundTrips > 2 || s.Methods["HEAD"] != 0 {
		t.Errorf("by tag: %v, want 3 GET requests in 2 round trips", s)
	}

	v2, st2 := newVerifier(f)
	vd, err = v2.Verify(ctxT(t), img, policy())
	if err != nil || !vd.Verified {
		t.Fatalf("Verify(digest) = %+v, %v", vd, err)
	}
	if got := vd.Check(verify.CheckProvenance).Status; got != verify.StatusSkipped {
		t.Errorf("provenance without attestation = %s, want skipped", got)
	}
	if s := st2.Snapshot(); s.RegistryRequests != 4 || s.RoundTrips > 2 {
		t.Errorf("by digest with provenance lookup: %v, want 4 requests in 2 round trips", s)
	}
}

func TestVerifyWithProvenanceAndBlobPayload(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/beta")
	img := f.PushImage(repo, "v1", verifytest.PinCommit)
	f.Sign(img, blobSig()) // payload only as a blob, not the one expected for the pin
	f.Attest(img, verifytest.ProvSpec{})
	v, st := newVerifier(f)
	p := policy()
	p.Provenance = verify.ProvenanceRequired
	vd, err := v.Verify(ctxT(t), repo.Tag("v1"), p)
	if err != nil || !vd.Verified {
		t.Fatalf("Verify = %+v, %v", vd, err)
	}
	if c := vd.Check(verify.CheckProvenance); c.Status != verify.StatusPass {
		t.Errorf("provenance = %+v, want pass", c)
	}
	if s := st.Snapshot(); s.RegistryRequests != 5 {
		t.Errorf("stats %v: want 5 requests (manifest, config, .sig, .att, payload blob)", s)
	}
}

// The verdict JSON is a contract (MediaType v1): exact top-level, pin and check keys,
// check names in report order. A renamed or dropped field fails here.
func TestVerdictJSONContract(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/json")
	img := f.PushImage(repo, "latest", verifytest.OtherCommit) // label is not the pin
	f.Sign(img)
	v, _ := newVerifier(f)
	p := policy()
	p.Pin.Directory = "servers/json"
	vd, err := v.Verify(ctxT(t), img, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(vd)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	var pin map[string]string
	var checks []map[string]string
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(json.Unmarshal(top["pin"], &pin), json.Unmarshal(top["checks"], &checks)); err != nil {
		t.Fatal(err)
	}
	keys := func(mm any) string {
		var ks []string
		switch x := mm.(type) {
		case map[string]json.RawMessage:
			for k := range x {
				ks = append(ks, k)
			}
		case map[string]string:
			for k := range x {
				ks = append(ks, k)
			}
		}
		slices.Sort(ks)
		return strings.Join(ks, ",")
	}
	if got, want := keys(top), "checks,digest,image,mediaType,pin,reason,verified"; got != want {
		t.Errorf("verdict keys = %s, want %s\n%s", got, want, b)
	}
	if got, want := keys(pin), "commit,directory,project"; got != want {
		t.Errorf("pin keys = %s, want %s", got, want)
	}
	var names []string
	for _, c := range checks {
		if got := keys(c); got != "detail,name,status" {
			t.Errorf("check keys = %s, want detail,name,status", got)
		}
		names = append(names, c["name"])
	}
	if got := strings.Join(names, ","); got != "digest,signature,tlog,label,signed-revision,provenance" {
		t.Errorf("checks = %s", got)
	}
	if string(top["mediaType"]) != `"application/vnd.mcpbuild.verdict.v1+json"` || string(top["verified"]) != "false" ||
		!strings.HasPrefix(vd.Reason, "label: ") || checks[3]["status"] != "fail" {
		t.Errorf("verdict JSON = %s", b)
	}
	if vd.Image != img.Name() {
		t.Errorf("image = %q, want the fully qualified %q", vd.Image, img.Name())
	}
}

func TestMultiPlatformIndex(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/multi")
	idx := f.PushIndex(repo, "latest", verifytest.PinCommit)
	f.Sign(idx)
	v, _ := newVerifier(f)
	vd, err := v.Verify(ctxT(t), repo.Tag("latest"), policy())
	if err != nil || !vd.Verified || vd.Digest != idx.DigestStr() ||
		vd.Check(verify.CheckLabel).Detail != "linux/amd64, linux/arm64: "+catalog.RevisionLabel+"="+verifytest.PinCommit {
		t.Fatalf("Verify(index) = %+v, %v", vd, err)
	}
	// Every platform's label is checked by default; WithPlatform checks one.
	half := f.PushIndexLabels(repo, "half", map[string]string{"amd64": verifytest.PinCommit, "arm64": ""})
	f.Sign(half)
	vd, err = v.Verify(ctxT(t), repo.Tag("half"), policy())
	if err != nil || vd.Verified || vd.Check(verify.CheckLabel).Status != verify.StatusFail ||
		!strings.HasPrefix(vd.Check(verify.CheckLabel).Detail, "linux/arm64: image config has no") {
		t.Fatalf("Verify(index, arm64 unlabelled) = %+v, %v; want label fail naming linux/arm64", vd, err)
	}
	amd, _ := newVerifier(f, verify.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}))
	if vd, err = amd.Verify(ctxT(t), repo.Tag("half"), policy()); err != nil || !vd.Verified {
		t.Fatalf("Verify(index, linux/amd64) = %+v, %v; want verified", vd, err)
	}
	// The label is read from the chosen platform's image: arm64's has none.
	arm, _ := newVerifier(f, verify.WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64"}))
	vd, err = arm.Verify(ctxT(t), repo.Tag("half"), policy())
	if err != nil || vd.Verified || vd.Check(verify.CheckLabel).Status != verify.StatusFail {
		t.Fatalf("Verify(index, linux/arm64) = %+v, %v; want label fail", vd, err)
	}
	s390, _ := newVerifier(f, verify.WithPlatform(v1.Platform{OS: "linux", Architecture: "s390x"}))
	vd, err = s390.Verify(ctxT(t), repo.Tag("latest"), policy())
	if err != nil || vd.Verified || !strings.Contains(vd.Check(verify.CheckLabel).Detail, "no manifest for platform linux/s390x") {
		t.Fatalf("Verify(index, linux/s390x) = %+v, %v; want label fail", vd, err)
	}
}

func TestInsecureIgnoreTLog(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/notlog")
	img := f.PushImage(repo, "latest", verifytest.PinCommit)
	f.Sign(img, verifytest.SigSpec{NoBundle: true})
	v, _ := newVerifier(f)
	vd, err := v.Verify(ctxT(t), img, policy())
	if err != nil || vd.Verified || vd.Check(verify.CheckTLog).Status != verify.StatusFail {
		t.Fatalf("missing bundle with tlog policy: %+v, %v", vd, err)
	}
	v2, err := verify.New(&f.Key.PublicKey, verify.WithoutTLogUnsafe(), verify.WithSignaturesRepository(f.SigRepo))
	if err != nil {
		t.Fatal(err)
	}
	vd, err = v2.Verify(ctxT(t), img, policy())
	if err != nil || !vd.Verified || vd.Check(verify.CheckTLog).Status != verify.StatusSkipped {
		t.Fatalf("missing bundle with WithoutTLogUnsafe: %+v, %v", vd, err)
	}
}

var _ name.Reference

// Several signatures: one that verifies is enough; the detail says which one of how many.
func TestOneGoodSignatureAmongBad(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/multi-sig")
	img := f.PushImage(repo, "latest", verifytest.PinCommit)
	f.Sign(img, verifytest.SigSpec{Key: verifytest.NewKey(t)}, verifytest.SigSpec{B64Sig: "bad"}, blobSig())
	v, _ := newVerifier(f)
	vd, err := v.Verify(ctxT(t), img, policy())
	if err != nil || !vd.Verified || !strings.HasPrefix(vd.Check(verify.CheckSignature).Detail, "signature 3 of 3 in ") {
		t.Fatalf("Verify = %+v, %v", vd, err)
	}
}
