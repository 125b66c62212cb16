package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/util/gitutil"
)

// The independent checks of the fuzz targets: what a verified signature, log entry, DSSE
// envelope, provenance statement or Sigstore bundle must be, worked out again with the
// standard library (encoding/json into this file's own types, crypto/ecdsa), BuildKit's
// git URL parser and the formats' own decoders (protojson for bundles and in-toto
// statements), never with code of this package, cosign, rekor or sigstore-go. A target
// fails when verify accepts what these say is wrong.

// canonicalEntry is the RFC 8785 (JCS) form of a Rekor entry's SET payload.
func canonicalEntry(body string, integratedTime int64, logID string, logIndex int64) []byte {
	return fmt.Appendf(nil, `{"body":%s,"integratedTime":%d,"logID":%s,"logIndex":%d}`,
		jcsString(body), integratedTime, jcsString(logID), logIndex)
}

// jcsString is s as a JCS string: only '"', '\' and control characters escaped.
func jcsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// pae is DSSE's pre-authentication encoding.
func pae(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
}

// verifiesWith reports whether sig is an ASN.1 ECDSA signature by pub of SHA-256(msg).
func verifiesWith(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	d := sha256.Sum256(msg)
	return ecdsa.VerifyASN1(pub, d[:], sig)
}

// isKey reports whether b64pem is base64 of a PEM block holding the fixture's signing key.
func (fx *fuzzFixture) isKey(b64pem string) bool {
	raw, err := base64.StdEncoding.DecodeString(b64pem)
	if err != nil {
		return false
	}
	block, _ := pem.Decode(raw)
	return block != nil && bytes.Equal(block.Bytes, fx.keyDER)
}

// namesRepo reports whether ref (a docker-reference or subject name, maybe with a tag or
// digest) is the repository repo names: registry.example/mcp/fetch, or for hub, Docker
// Hub's library/fetch (docker.io and index.docker.io are one; "library/" may be implied).
func namesRepo(ref string, hub bool) bool {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	if !hub {
		return ref == "registry.example/mcp/fetch"
	}
	return slices.Contains([]string{"docker.io/library/fetch", "index.docker.io/library/fetch", "docker.io/fetch", "index.docker.io/fetch"}, ref)
}

// oPayload is a simple-signing payload.
type oPayload struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			Digest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

// payloadWrong says why payload, signed by b64sig, is not the fixture key's signature of
// the fixture digest in the repository (hub: Docker Hub's); "" when it is.
func (fx *fuzzFixture) payloadWrong(payload []byte, b64sig string, hub bool) string {
	sig, err := base64.StdEncoding.DecodeString(b64sig)
	if err != nil || !verifiesWith(&fx.key.PublicKey, payload, sig) {
		return "the signature does not verify with the key"
	}
	var p oPayload
	switch {
	case json.Unmarshal(payload, &p) != nil:
		return "the payload is not JSON"
	case p.Critical.Type != "cosign container image signature":
		return "payload type " + p.Critical.Type
	case p.Critical.Image.Digest != fx.digest.String():
		return "the payload names digest " + p.Critical.Image.Digest
	case !namesRepo(p.Critical.Identity.DockerReference, hub):
		return "the payload names repository " + p.Critical.Identity.DockerReference
	}
	return ""
}

// oHash is a Rekor entry's hash.
type oHash struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"`
}

func (h oHash) is(content []byte) bool {
	return h.Algorithm == "sha256" && h.Value == hexSHA256(content)
}

// oEntry is a Rekor entry body: hashedrekord, intoto (0.0.1, 0.0.2) or dsse.
type oEntry struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Spec       struct {
		Data struct {
			Hash oHash `json:"hash"`
		} `json:"data"` // hashedrekord
		Signature struct {
			Content   string `json:"content"`
			PublicKey struct {
				Content string `json:"content"`
			} `json:"publicKey"`
		} `json:"signature"` // hashedrekord
		Content struct {
			Hash        oHash `json:"hash"`
			PayloadHash oHash `json:"payloadHash"`
			Envelope    struct {
				Signatures []struct {
					PublicKey string `json:"publicKey"`
				} `json:"signatures"`
			} `json:"envelope"` // intoto 0.0.2
		} `json:"content"` // intoto
		PublicKey    string     `json:"publicKey"` // intoto 0.0.1
		EnvelopeHash oHash      `json:"envelopeHash"`
		PayloadHash  oHash      `json:"payloadHash"`
		Signatures   []oDSSESig `json:"signatures"` // dsse
	} `json:"spec"`
}

// oDSSESig is a signature of a Rekor dsse entry.
type oDSSESig struct {
	Signature string `json:"signature"`
	Verifier  string `json:"verifier"`
}

// decodeEntry decodes a base64 entry body.
func decodeEntry(b64 string) (*oEntry, error) {
	var e oEntry
	return &e, json.NewDecoder(base64.NewDecoder(base64.StdEncoding, strings.NewReader(b64))).Decode(&e)
}

// loggedEntry returns the body of a cosign bundle annotation that the fixture's log
// signed: log ID, SET over the canonical entry.
func (fx *fuzzFixture) loggedEntry(annotation string) (*oEntry, error) {
	var b struct {
		SET     []byte `json:"SignedEntryTimestamp"`
		Payload struct {
			Body           any    `json:"body"`
			IntegratedTime int64  `json:"integratedTime"`
			LogIndex       int64  `json:"logIndex"`
			LogID          string `json:"logID"`
		} `json:"Payload"`
	}
	if err := json.Unmarshal([]byte(annotation), &b); err != nil {
		return nil, err
	}
	body, ok := b.Payload.Body.(string)
	switch {
	case !ok:
		return nil, errors.New("no body")
	case b.Payload.LogID != fx.logID:
		return nil, errors.New("another log")
	case !verifiesWith(&fx.logKey.PublicKey, canonicalEntry(body, b.Payload.IntegratedTime, b.Payload.LogID, b.Payload.LogIndex), b.SET):
		return nil, errors.New("the SET does not verify")
	}
	return decodeEntry(body)
}

// signatureEntryWrong says why annotation is not a log entry of the fixture's log that
// records the signature b64sig of payload by the fixture key; "" when it is.
func (fx *fuzzFixture) signatureEntryWrong(annotation string, payload []byte, b64sig string) string {
	e, err := fx.loggedEntry(annotation)
	if err != nil {
		return "bundle: " + err.Error()
	}
	s := e.Spec.Signature
	got, err1 := base64.StdEncoding.DecodeString(s.Content)
	want, err2 := base64.StdEncoding.DecodeString(b64sig)
	switch {
	case e.Kind != "hashedrekord":
		return "entry kind " + e.Kind
	case !e.Spec.Data.Hash.is(payload):
		return "the entry records another payload hash"
	case err1 != nil || err2 != nil || !bytes.Equal(got, want):
		return "the entry records another signature"
	case !fx.isKey(s.PublicKey.Content):
		return "the entry records another key"
	}
	return ""
}

// attestationEntryWrong says why annotation is not a log entry of the fixture's log that
// records the DSSE envelope env by the fixture key; "" when it is.
func (fx *fuzzFixture) attestationEntryWrong(annotation string, env []byte) string {
	e, err := fx.loggedEntry(annotation)
	if err != nil {
		return "bundle: " + err.Error()
	}
	sp := e.Spec
	switch {
	case e.Kind == "intoto" && e.APIVersion == "0.0.1" && sp.Content.Hash.is(env) && fx.isKey(sp.PublicKey):
		return ""
	case e.Kind == "intoto" && e.APIVersion == "0.0.2" && sp.Content.Hash.is(env) &&
		len(sp.Content.Envelope.Signatures) == 1 && fx.isKey(sp.Content.Envelope.Signatures[0].PublicKey):
		return ""
	case e.Kind == "dsse" && sp.EnvelopeHash.is(env) && len(sp.Signatures) == 1 && fx.isKey(sp.Signatures[0].Verifier):
		return ""
	}
	return "the entry does not record this envelope by the key"
}

// oEnvelope is a DSSE envelope.
type oEnvelope struct {
	PayloadType string `json:"payloadType"`
	Payload     string `json:"payload"`
	Signatures  []struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	} `json:"signatures"`
}

// b64Either decodes standard or URL-safe base64, as DSSE allows.
func b64Either(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.URLEncoding.DecodeString(s)
	}
	return b, err
}

// openEnvelopeOracle returns env's payload type and payload when one of its first
// maxEnvelopeSignatures signatures verifies with the fixture key over the PAE. plain
// says the envelope is unambiguous for any DSSE verifier: each of those signatures is
// base64 (a verifier may refuse the envelope for one that is not) and one that verifies
// has no key ID (a verifier skips a signature whose key ID names another key).
func (fx *fuzzFixture) openEnvelopeOracle(env []byte) (payloadType string, payload []byte, plain bool, err error) {
	var e oEnvelope
	if err := json.Unmarshal(env, &e); err != nil {
		return "", nil, false, err
	}
	if payload, err = b64Either(e.Payload); err != nil {
		return "", nil, false, err
	}
	ok, decodes, noKeyID := false, true, false
	for _, s := range e.Signatures[:min(len(e.Signatures), maxEnvelopeSignatures)] {
		sig, err := b64Either(s.Sig)
		decodes = decodes && err == nil
		if err == nil && verifiesWith(&fx.key.PublicKey, pae(e.PayloadType, payload), sig) {
			ok, noKeyID = true, noKeyID || s.KeyID == ""
		}
	}
	if !ok {
		return "", nil, false, errors.New("no signature verifies with the key")
	}
	return e.PayloadType, payload, decodes && noKeyID, nil
}

// oResource is a SLSA resource descriptor.
type oResource struct {
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest"`
}

// oSubject is an in-toto subject.
type oSubject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// oStatement is an in-toto statement with a SLSA v1 predicate (the parts checked).
type oStatement struct {
	PredicateType string     `json:"predicateType"`
	Subject       []oSubject `json:"subject"`
	Predicate     struct {
		BuildDefinition struct {
			ExternalParameters   map[string]json.RawMessage `json:"externalParameters"`
			ResolvedDependencies []oResource                `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
	} `json:"predicate"`
}

// gitSource is the repository (lowercase host/path, without ".git", a trailing slash or
// an "@ref" suffix) and the directory ("" for the root) a git URL names as BuildKit reads
// it (byBuildKit). SLSA's git+<url> names <url>'s repository; an "@suffix" of the last
// segment is a ref (SLSA's git+<url>@<ref>; verify reads it so in any URL): with the
// commit compared, the content is the pinned commit's whichever repository holds it. A
// URL BuildKit does not read (so never built from) names the repository net/url reads
// in it, and no directory.
func gitSource(uri string) (repo, dir string, byBuildKit bool) {
	u := strings.TrimPrefix(strings.TrimSpace(uri), "git+")
	if strings.HasPrefix(u, "github.com/") {
		u = "https://" + u
	}
	var host, p string
	if g, err := gitutil.ParseURL(u); err == nil {
		host, p, byBuildKit = g.Host, g.Path, true
		if g.Opts != nil {
			dir = g.Opts.Subdir
		}
		if q := g.Query.Get("subdir"); q != "" {
			byBuildKit = dir == "" || path.Clean("/"+dir) == path.Clean("/"+q) // BuildKit refuses a conflict
			dir = q
		}
	} else if pu, err := url.Parse(u); err == nil && pu.Host != "" {
		host, p = pu.Host, pu.Path
	} else {
		return "", "", false
	}
	if i := strings.LastIndex(p, "@"); i > strings.LastIndex(p, "/") {
		p = p[:i]
	}
	p = strings.TrimSuffix(strings.TrimSuffix(p, "/"), ".git")
	return strings.ToLower(host) + "/" + strings.TrimPrefix(p, "/"), strings.TrimPrefix(path.Clean("/"+dir), "/"), byBuildKit
}

// provenanceWrong says why stmt is not SLSA v1 provenance of the fixture digest built
// from p's pin (projects: the pin's repository and its mirror, as host/path; none for a
// pin without project); "" when it is.
func (fx *fuzzFixture) provenanceWrong(stmt []byte, p Policy) string {
	var st oStatement
	if err := json.Unmarshal(stmt, &st); err != nil {
		return "not a statement: " + err.Error()
	}
	if st.PredicateType != "https://slsa.dev/provenance/v1" {
		return "predicate type " + st.PredicateType
	}
	if !slices.ContainsFunc(st.Subject, func(s oSubject) bool { return s.Digest["sha256"] == fx.digest.Hex }) {
		return "no subject is the digest"
	}
	var cs oResource
	raw, ok := st.Predicate.BuildDefinition.ExternalParameters["configSource"]
	if !ok || json.Unmarshal(raw, &cs) != nil {
		return "no build context"
	}
	if cs.Digest["sha1"] != p.Pin.Commit {
		return "the build context is at commit " + cs.Digest["sha1"]
	}
	var projects []string
	if p.Pin.Project != "" {
		projects = []string{"github.com/example/mcp-server"}
		if len(p.SourceMirrors) > 0 {
			projects = append(projects, "mirror.example/example/mcp-server")
		}
		repo, dir, byBuildKit := gitSource(cs.URI)
		want := strings.TrimPrefix(path.Clean("/"+p.Pin.Directory), "/")
		if !slices.Contains(projects, repo) || byBuildKit && dir != want {
			return fmt.Sprintf("the build context %q is %q directory %q (as BuildKit reads it: %v)", cs.URI, repo, dir, byBuildKit)
		}
	}
	for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
		repo, _, _ := gitSource(d.URI)
		naming := projects == nil && d.Digest["sha1"] != "" || slices.Contains(projects, repo)
		if naming && d.Digest["sha1"] != p.Pin.Commit {
			return fmt.Sprintf("source %q (BuildKit: %q) is at commit %q", d.URI, repo, d.Digest["sha1"])
		}
	}
	return ""
}
