package verify

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	intoto "github.com/in-toto/attestation/go/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// FuzzSigstoreBundle feeds Sigstore bundles (v0.3, cosign v3's referrers) to checkBundle
// and verifyBundle, as a signature (cosign's sign predicate) or as provenance; with
// resign, the bundle is made from the statement given (signed with the fixed key, logged
// with the fixed log key, by verifytest), so that the statement checks are reached. A
// bundle taken as the key's has a DSSE envelope (decoded with protojson) that verifies
// with the key over the PAE, of an in-toto statement of the predicate type wanted, a
// subject of which is the digest; a signature's names no repository or the image's; a
// passing log entry has a SET of the fixed log over its canonical body, a dsse (or
// intoto) entry of that payload by the key; passing provenance is the pin's.
func FuzzSigstoreBundle(f *testing.F) {
	fx := newFuzzFixture(f)
	sigBundle := fx.vt.SignatureBundle(fx.img, &verifytest.BundleSpec{})
	otherKey := fixedKey(f, 0x43)
	for _, b := range [][]byte{
		sigBundle, fx.vt.ProvenanceBundle(fx.img, verifytest.ProvSpec{}),
		fx.vt.SignatureBundle(fx.img, &verifytest.BundleSpec{Key: otherKey}), fx.vt.SignatureBundle(fx.img, &verifytest.BundleSpec{RekorKey: otherKey}),
		fx.vt.SignatureBundle(fx.img, &verifytest.BundleSpec{LogOtherEnvelope: true}),
		fx.vt.ProvenanceBundle(fx.img, verifytest.ProvSpec{Commit: verifytest.OtherCommit}), fx.vt.HostileBundle(fx.img, fx.key, 2048),
		[]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`), []byte("null"), []byte(`{"dsse_envelope":{}}`),
	} {
		f.Add(b, []byte(nil), false, false)
		f.Add(b, []byte(nil), false, true)
	}
	_, st, _, err := fx.bundleStatement(sigBundle)
	if err != nil {
		f.Fatal(err)
	}
	signStmt, _ := protojson.Marshal(st)
	named := func(names ...string) []byte {
		var subjects []any
		for _, n := range names {
			subjects = append(subjects, map[string]any{"name": n, "digest": map[string]string{"sha256": fx.digest.Hex}})
		}
		b, _ := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v1", "subject": subjects, "predicateType": cosignSignPredicate, "predicate": map[string]any{}})
		return b
	}
	for _, s := range [][]byte{signStmt, named("registry.example/mcp/fetch:v1"), named("registry.example/mcp/other"),
		named("evil.example/x", "registry.example/mcp/fetch"), named("registry.example/mcp/fetch", ""), []byte(`{}`)} {
		f.Add([]byte(nil), s, true, false)
	}
	for _, s := range provenanceSeeds(fx, f)[:6] {
		f.Add([]byte(nil), s, true, true)
	}
	p := fx.policy(0, "")
	f.Fuzz(func(t *testing.T, raw, stmt []byte, resign, prov bool) {
		if resign {
			vt := *fx.vt // the fixture with this input's t
			vt.T = t
			raw = vt.StatementBundle(stmt, fx.key, fx.logKey)
		}
		predicate := cosignSignPredicate
		if prov {
			predicate = "https://slsa.dev/provenance/v1"
		}
		r, err := fx.v.checkBundle(fuzzCtx(), raw, fx.digest, predicate)
		if isTransport(err) && jsonValues(raw) <= MaxJSONValues {
			t.Fatalf("a bundle within the limits is could-not-check: %v", err)
		}
		if err != nil {
			return
		}
		b, st, payload, err := fx.bundleStatement(raw)
		switch {
		case err != nil:
			t.Fatalf("bundle taken as the key's, but %v", err)
		case st.GetPredicateType() != predicate:
			t.Fatalf("bundle taken as %s, its statement is %s", predicate, st.GetPredicateType())
		case !slices.ContainsFunc(st.GetSubject(), func(s *intoto.ResourceDescriptor) bool { return s.GetDigest()["sha256"] == fx.digest.Hex }):
			t.Fatalf("bundle taken for %s, no subject is: %v", fx.digest, st.GetSubject())
		case string(r.payload) != string(payload):
			t.Fatalf("checkBundle returns payload %q, the envelope's is %q", r.payload, payload)
		case r.tlog.Status == StatusPass && !fx.bundleLogged(b, payload):
			t.Fatalf("bundle log entry passes, but no entry of the log records this envelope: %+v", r.tlog)
		case r.tlog.Status != StatusPass && r.tlog.Status != StatusFail:
			t.Fatalf("bundle log entry %+v", r.tlog)
		}
		if prov {
			if c := provenanceMatches(r.payload, fx.digest, p); c.Status == StatusPass && fx.provenanceWrong(r.payload, p) != "" {
				t.Fatalf("bundle provenance passes, but %s", fx.provenanceWrong(r.payload, p))
			}
			return
		}
		s, err := fx.v.verifyBundle(fuzzCtx(), raw, fx.repo, fx.digest)
		if err != nil {
			return
		}
		if !slices.ContainsFunc(st.GetSubject(), func(s *intoto.ResourceDescriptor) bool {
			return s.GetDigest()["sha256"] == fx.digest.Hex && (s.GetName() == "" || namesRepo(s.GetName(), false))
		}) {
			t.Fatalf("bundle signature passes, but its subjects name other repositories: %v", st.GetSubject())
		}
		if s.claims[catalog.RevisionLabel] != r.claims[catalog.RevisionLabel] {
			t.Fatalf("claims %v, checkBundle's %v", s.claims, r.claims)
		}
	})
}

// bundleStatement returns the in-toto statement of a Sigstore bundle (decoded with
// protojson, as the format defines) whose DSSE envelope verifies with the fixture key, and
// that statement's payload; an error says why there is none.
func (fx *fuzzFixture) bundleStatement(raw []byte) (*protobundle.Bundle, *intoto.Statement, []byte, error) {
	var b protobundle.Bundle
	if err := protojson.Unmarshal(raw, &b); err != nil {
		return nil, nil, nil, err
	}
	env := b.GetDsseEnvelope()
	if env == nil || env.GetPayloadType() != "application/vnd.in-toto+json" {
		return nil, nil, nil, errors.New("no in-toto DSSE envelope")
	}
	ok := false
	for _, s := range env.GetSignatures() {
		ok = ok || verifiesWith(&fx.key.PublicKey, pae(env.GetPayloadType(), env.GetPayload()), s.GetSig())
	}
	if !ok {
		return nil, nil, nil, errors.New("no envelope signature verifies with the key")
	}
	var st intoto.Statement
	if err := protojson.Unmarshal(env.GetPayload(), &st); err != nil {
		return nil, nil, nil, err
	}
	return &b, &st, env.GetPayload(), nil
}

// bundleLogged says whether one of b's log entries has a SET of the fixture's log over
// its canonical body, and that body is a dsse (or intoto 0.0.2) entry of payload by the
// fixture key.
func (fx *fuzzFixture) bundleLogged(b *protobundle.Bundle, payload []byte) bool {
	for _, e := range b.GetVerificationMaterial().GetTlogEntries() {
		body := base64.StdEncoding.EncodeToString(e.GetCanonicalizedBody())
		logID := hex.EncodeToString(e.GetLogId().GetKeyId())
		canon := canonicalEntry(body, e.GetIntegratedTime(), logID, e.GetLogIndex())
		if logID != fx.logID || !verifiesWith(&fx.logKey.PublicKey, canon, e.GetInclusionPromise().GetSignedEntryTimestamp()) {
			continue
		}
		oe, err := decodeEntry(body)
		if err != nil {
			continue
		}
		sp := oe.Spec
		switch {
		case oe.Kind == "dsse" && sp.PayloadHash.is(payload) && slices.ContainsFunc(sp.Signatures, func(s oDSSESig) bool { return fx.isKey(s.Verifier) }):
			return true
		case oe.Kind == "intoto" && sp.Content.PayloadHash.is(payload) && len(sp.Content.Envelope.Signatures) > 0 &&
			fx.isKey(sp.Content.Envelope.Signatures[0].PublicKey):
			return true
		}
	}
	return false
}
