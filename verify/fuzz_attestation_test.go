package verify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// provenanceSeeds are SLSA v1 statements about the fixture image: genuine ones (for the
// root and a sub-directory), and variants one step away (another commit, project,
// directory or subject; a dependency that is the project at another commit, in the forms
// git URLs take; directories written as BuildKit reads them).
func provenanceSeeds(fx *fuzzFixture, f testing.TB) [][]byte {
	var out [][]byte
	stmt := func(s verifytest.ProvSpec) []byte {
		var env struct{ Payload []byte }
		if err := json.Unmarshal(fx.vt.Attestation(fx.img, s).Payload, &env); err != nil {
			f.Fatal(err)
		}
		return env.Payload
	}
	out = append(out, stmt(verifytest.ProvSpec{}), stmt(verifytest.ProvSpec{Directory: "servers/alpha"}),
		stmt(verifytest.ProvSpec{Commit: verifytest.OtherCommit}), stmt(verifytest.ProvSpec{Project: "https://github.com/example/mcp-server-fork"}),
		stmt(verifytest.ProvSpec{Subject: strings.Repeat("cd", 32)}), stmt(verifytest.ProvSpec{PredicateType: "https://slsa.dev/provenance/v0.2"}))
	const git = "https://github.com/example/mcp-server.git"
	for _, uri := range []string{
		git + "#" + verifytest.PinCommit + ":servers/alpha", git + "?ref=" + verifytest.PinCommit + "&subdir=servers/alpha",
		git + "?subdir=servers/beta#" + verifytest.PinCommit, git + "#" + verifytest.PinCommit + ":servers/alpha/../beta",
		git + "#" + verifytest.PinCommit + ":servers%2Falpha", "git+https://github.com/example/mcp-server@refs/heads/main",
		"https://github.com/example/mcp-server@evil.git#" + verifytest.PinCommit, "git@github.com:example/mcp-server.git",
		"ssh://git@github.com/example/mcp-server.git", "https://GitHub.com/example/mcp-server/", "github.com/example/mcp-server",
		"https://mirror.example/example/mcp-server.git#" + verifytest.PinCommit, "https://github.com:443/example/mcp-server.git",
	} {
		for _, dep := range []bool{false, true} {
			out = append(out, stmt(verifytest.ProvSpec{Edit: func(st map[string]any) {
				bd := st["predicate"].(map[string]any)["buildDefinition"].(map[string]any)
				r := map[string]any{"uri": uri, "digest": map[string]string{"sha1": verifytest.PinCommit}}
				if dep {
					r["digest"] = map[string]string{"sha1": verifytest.OtherCommit}
					bd["resolvedDependencies"] = append(bd["resolvedDependencies"].([]any), r)
				} else {
					bd["externalParameters"] = map[string]any{"configSource": r}
				}
			}}))
		}
	}
	// Built through the mirror, and the Dockerfile fetching the project at another commit.
	out = append(out, stmt(verifytest.ProvSpec{Project: "https://mirror.example/example/mcp-server", Edit: func(st map[string]any) {
		bd := st["predicate"].(map[string]any)["buildDefinition"].(map[string]any)
		bd["resolvedDependencies"] = append(bd["resolvedDependencies"].([]any), map[string]any{
			"uri": "https://github.com/example/mcp-server.git#main", "digest": map[string]string{"sha1": verifytest.OtherCommit}})
	}}))
	return append(out, []byte(`{"predicateType":"https://slsa.dev/provenance/v1","PredicateType":"x"}`), []byte("null"), []byte(`{"predicate":[]}`))
}

// FuzzProvenance feeds in-toto statements to provenanceMatches, for a pin with a project
// and a directory (mode 0), with a mirror (1), of a commit alone (2), and of a project
// written scp-like, with a mirror (3). A passing
// statement is SLSA v1 about the digest, its build context at the pin's commit and, read
// by BuildKit's git URL parser (gitSource), the pin's project (or mirror) in the pin's
// directory, and no source naming the project is at another commit.
func FuzzProvenance(f *testing.F) {
	fx := newFuzzFixture(f)
	for _, s := range provenanceSeeds(fx, f) {
		for _, dir := range []string{"", "servers/alpha"} {
			for mode := range uint8(4) {
				f.Add(s, mode, dir)
			}
		}
	}
	f.Fuzz(func(t *testing.T, stmt []byte, mode uint8, dir string) {
		p := fx.policy(mode, dir)
		c := provenanceMatches(stmt, fx.digest, p)
		switch {
		case c.Status == StatusPass:
			if why := fx.provenanceWrong(stmt, p); why != "" {
				t.Fatalf("provenance passes for pin %+v, but %s: %s", p.Pin, why, stmt)
			}
		case c.Status != StatusFail:
			t.Fatalf("provenanceMatches = %+v, want pass or fail", c)
		}
	})
}

// FuzzEnvelope feeds DSSE envelopes (.att layers, embedded) to checkAttestation without a
// log (FuzzRekorBundle checks the bundles); with resign, the envelope is made here from
// the payload type and payload given, signed with the fixed key. An attestation taken as
// the key's has a signature (one of the first four) that verifies with the key over the
// PAE (computed here), and one that does is the key's (unless another key ID or a
// signature that is not base64 makes it ambiguous); a passing one is in-toto SLSA v1 provenance of the pin (as FuzzProvenance checks it).
func FuzzEnvelope(f *testing.F) {
	fx := newFuzzFixture(f)
	good := fx.attLayer.Payload
	for _, s := range provenanceSeeds(fx, f)[:6] {
		f.Add([]byte(nil), "application/vnd.in-toto+json", s, true)
	}
	f.Add([]byte(nil), "text/plain", fx.statement, true)
	f.Add([]byte(nil), "", []byte(nil), true)
	for _, e := range [][]byte{good, fx.vt.HostileEnvelope(fx.img, 2048), []byte(`{"payloadType":"x","payload":"","signatures":[]}`),
		bytes.Replace(good, []byte(`"keyid":""`), []byte(`"keyid":"other"`), 1), bytes.Replace(good, []byte(`"signatures":[`), []byte(`"signatures":[{"sig":"!"},`), 1),
		bytes.Replace(good, []byte(`"signatures":[`), []byte(`"signatures":[{},{},{},{},`), 1), []byte("null"), []byte(`{"payload":5}`)} {
		f.Add(e, "", []byte(nil), false)
	}
	f.Fuzz(func(t *testing.T, env []byte, payloadType string, payload []byte, resign bool) {
		if resign {
			env = fx.envelope(t, payloadType, payload)
		}
		if len(env) == 0 {
			return // nothing to embed: verify would fetch it (no network here)
		}
		p := fx.policy(0, "")
		l := embedded(sign.DSSEMediaType, env, map[string]string{sign.PredicateTypeAnnotation: "https://slsa.dev/provenance/v1"})
		r := fx.vNoLog.checkAttestation(fuzzCtx(), fx.vt.SigRepo, l, fx.digest, p)
		pt, stmt, plain, err := fx.openEnvelopeOracle(env)
		switch {
		case r.byKey && err != nil:
			t.Fatalf("taken as the key's (%+v), but %v: %s", r.check, err, env)
		case !r.byKey && err == nil && plain:
			t.Fatalf("signed by the key, but ignored: %s", env)
		case r.check.Status == StatusPass && pt != "application/vnd.in-toto+json":
			t.Fatalf("passes with payload type %q", pt)
		case r.check.Status == StatusPass:
			if why := fx.provenanceWrong(stmt, p); why != "" {
				t.Fatalf("passes, but %s: %s", why, stmt)
			}
		}
	})
}
