package build

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

const predicateSample = `{"buildDefinition":{"buildType":"https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md",
"externalParameters":{"configSource":{"uri":"git://h/r.git#01f5ff7bc2e2f390b14a0f2ada043d74648b787a:servers/a","digest":{"sha1":"01f5ff7bc2e2f390b14a0f2ada043d74648b787a"}},
"request":{"frontend":"dockerfile.v0"}},"resolvedDependencies":[{"uri":"git://h/r.git#01f5ff7bc2e2f390b14a0f2ada043d74648b787a","digest":{"sha1":"01f5ff7bc2e2f390b14a0f2ada043d74648b787a"}}]},
"runDetails":{"builder":{"id":""},"metadata":{"invocationId":"x","buildkit_hermetic":true}}}`

func TestProvenanceStatement(t *testing.T) {
	img, err := name.NewDigest("127.0.0.1:15000/mcp/a@sha256:" + strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := provenanceStatement([]byte(predicateSample), img)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		Predicate json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(st, &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != "https://in-toto.io/Statement/v1" || got.PredicateType != "https://slsa.dev/provenance/v1" {
		t.Errorf("statement types = %q, %q", got.Type, got.PredicateType)
	}
	if len(got.Subject) != 1 || got.Subject[0].Name != "127.0.0.1:15000/mcp/a" || got.Subject[0].Digest["sha256"] != strings.Repeat("ab", 32) {
		t.Errorf("subject = %+v", got.Subject)
	}
	// BuildKit's extension fields survive (the predicate is kept as it came).
	if !strings.Contains(string(got.Predicate), "buildkit_hermetic") {
		t.Errorf("predicate lost BuildKit fields: %s", got.Predicate)
	}
	src, err := ParseProvenanceSource(st)
	if err != nil {
		t.Fatal(err)
	}
	if src.SHA1 != "01f5ff7bc2e2f390b14a0f2ada043d74648b787a" || src.URI != "git://h/r.git#01f5ff7bc2e2f390b14a0f2ada043d74648b787a:servers/a" {
		t.Errorf("ParseProvenanceSource() = %+v", src)
	}
	if _, err := provenanceStatement([]byte("not json"), img); err == nil {
		t.Error("provenanceStatement(garbage) = nil error")
	}
}

func TestParseProvenanceSourceErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`nope`, "decoding provenance"},
		{`{"predicateType":"https://slsa.dev/provenance/v0.2","predicate":{}}`, "predicate type"},
		{`{"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{}}}`, "no git config source"},
		{`{"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"externalParameters":{"configSource":{"uri":"git://h/r"}}}}}`, "no git config source"},
	}
	for _, tc := range tests {
		if _, err := ParseProvenanceSource([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseProvenanceSource(%s) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
}
