package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/verify"
)

// Hostile: spellings of one registry that the reference parser (mcpverify's default,
// weak validation) accepts must not fall out of the registry's pattern into a catch-all
// publisher's; spellings with no unambiguous canonical form are refused, not matched.
func TestPolicyRegistrySpellings(t *testing.T) {
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pv, err := verify.NewPolicyVerifier(verify.TrustPolicy{Publishers: []verify.Publisher{
		{Name: "acme", TrustLevel: verify.TrustOfficial, Images: []string{"ghcr.io/acme/**", "docker.io/mcp/**", "localhost:5000/acme/**"},
			Keys: []verify.PublisherKey{{Ref: "official.pub", Key: &k1.PublicKey}}, Options: []verify.Option{verify.WithoutTLogUnsafe()}},
		{Name: "anyone", TrustLevel: verify.TrustCommunity, Images: []string{"**"},
			Keys: []verify.PublisherKey{{Ref: "community.pub", Key: &k2.PublicKey}}, Options: []verify.Option{verify.WithoutTLogUnsafe()}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		image, publisher string // "" refused
	}{
		{"ghcr.io/acme/x:1", "acme"},
		{"GHCR.IO/acme/x:1", "acme"},
		{"Ghcr.io/acme/x:1", "acme"},
		{"ghcr.io:443/acme/x:1", "acme"},
		{"GHCR.IO:443/acme/x:1", "acme"},
		{"mcp/x:1", "acme"},
		{"docker.io/mcp/x:1", "acme"},
		{"index.docker.io/mcp/x:1", "acme"},
		{"registry-1.docker.io/mcp/x:1", "acme"},
		{"Registry-1.Docker.IO:443/mcp/x:1", "acme"},
		{"localhost:5000/acme/x:1", "acme"},
		{"ghcr.io:8443/acme/x:1", "anyone"}, // another port is another registry
		{"quay.io/acme/x:1", "anyone"},
		{"ghcr.io./acme/x:1", ""},        // trailing dot
		{"ghcr.io:0443/acme/x:1", ""},    // leading zero
		{"ghcr.io:/acme/x:1", ""},        // empty port
		{"127.1:5000/acme/x:1", ""},      // all-numeric host, not an IPv4 address
		{"gh_cr.io/acme/x:1", ""},        // not a DNS name
		{"LOCALHOST:5000/acme/x:1", ""},  // https to the parser, localhost:5000 is http
		{"ghcr.io/evil/../acme/x:1", ""}, // a registry may clean the path to acme/x
		{"ghcr.io/acme/./x:1", ""},
		{"ghcr.io/acme//x:1", ""},
	} {
		ref, err := name.ParseReference(c.image)
		if err != nil {
			t.Fatalf("%s: the parser refuses it, the test is moot: %v", c.image, err)
		}
		p, _, ok := pv.Publisher(ref.Context())
		if c.publisher == "" {
			if ok {
				t.Errorf("Publisher(%s) = %q, want none (refused)", c.image, p.Name)
			}
			vd, err := pv.Verify(ctxT(t), ref, policy())
			var ie *verify.InputError
			if !errors.As(err, &ie) || vd.Verified || !strings.HasPrefix(vd.Reason, "reference: ") || vd.Publisher != "" {
				t.Errorf("Verify(%s) = %v, verified=%v reason %q, want an InputError", c.image, err, vd.Verified, vd.Reason)
			}
			continue
		}
		if !ok || p.Name != c.publisher {
			t.Errorf("Publisher(%s) = %q (%v), want %q", c.image, p.Name, ok, c.publisher)
		}
	}
}

// Hostile: '**' covers whole segments only; '.' and '..' segments and one-segment
// patterns without a registry are refused; Docker Hub official images match as
// library/<name>.
func TestImagePatternSegments(t *testing.T) {
	cases := []struct {
		pattern, image string
		want           bool
	}{
		{"mcp/x/**", "mcp/x/y", true},
		{"mcp/x/**", "mcp/x/y/z", true},
		{"mcp/x/**", "mcp/xyz/other", false},
		{"mcp/x/**", "mcp/x", false},
		{"acme/**/server", "acme/a/b/server", true},
		{"acme/**/server", "acme/server", false},
		{"acme/**/server", "acme/a/servers", false},
		{"mcp/git*", "mcp/github", true},
		{"mcp/git*", "mcp/git/hub", false},
		{"docker.io/nginx", "nginx", true},
		{"docker.io/nginx", "docker.io/library/nginx", true},
		{"docker.io/nginx", "ghcr.io/nginx", false},
		{"docker.io/ngin*", "nginx", true},
		{"docker.io/library/nginx", "nginx", true},
		{"ghcr.io/nginx", "ghcr.io/nginx", true},
		{"library/nginx", "nginx", true},
		{"registry-1.docker.io/mcp/*", "mcp/x", true},
		{"ghcr.io:443/acme/*", "ghcr.io/acme/x", true},
	}
	for _, c := range cases {
		p, err := verify.ParseImagePattern(c.pattern)
		if err != nil {
			t.Fatalf("ParseImagePattern(%q) = %v", c.pattern, err)
		}
		repo, err := name.NewRepository(c.image)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Matches(repo); got != c.want {
			t.Errorf("%q.Matches(%s) = %v, want %v", c.pattern, c.image, got, c.want)
		}
	}
	for bad, want := range map[string]string{
		"mcp**":          "'**' only as a whole path segment",
		"mcp/x**":        "'**' only as a whole path segment",
		"**x":            "'**' only as a whole path segment",
		"mcp/***":        "'**' only as a whole path segment",
		"mcp/../acme/*":  `path segment ".."`,
		"mcp/./x":        `path segment "."`,
		"ghcr.io/../x/*": `path segment ".."`,
		"nginx":          "one path segment without a registry is ambiguous",
		"mcp-*":          "one path segment without a registry is ambiguous",
		"ghcr.io.:443/x": "no trailing dot",
		"ghcr.io:0443/x": "leading zeros",
	} {
		if _, err := verify.ParseImagePattern(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseImagePattern(%q) = %v, want an error containing %q", bad, err, want)
		}
	}
	// One registry under two spellings is one pattern: two publishers naming it tie.
	a, _ := verify.ParseImagePattern("ghcr.io/acme/*")
	b, _ := verify.ParseImagePattern("ghcr.io:443/acme/*")
	if !a.Ambiguous(b) {
		t.Error("ghcr.io/acme/* and ghcr.io:443/acme/* are not ambiguous")
	}
}
