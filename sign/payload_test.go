package sign_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/sign"
)

const testDigest = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"

// Golden bytes as `cosign sign -a k=v` (v2.6.5) writes them with --output-payload
// (keys sorted, no spaces, "optional" null without annotations).
func TestPayloadGolden(t *testing.T) {
	img, err := name.NewDigest("127.0.0.1:15000/mcp/alpha@" + testDigest)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		claims map[string]string
		want   string
	}{{
		name: "no claims",
		want: `{"critical":{"identity":{"docker-reference":"127.0.0.1:15000/mcp/alpha"},"image":{"docker-manifest-digest":"` + testDigest + `"},"type":"cosign container image signature"},"optional":null}`,
	}, {
		name: "revision and source",
		claims: map[string]string{
			catalog.SourceLabel:   "https://github.com/example/mcp",
			catalog.RevisionLabel: "0123456789abcdef0123456789abcdef01234567",
		},
		want: `{"critical":{"identity":{"docker-reference":"127.0.0.1:15000/mcp/alpha"},"image":{"docker-manifest-digest":"` + testDigest + `"},"type":"cosign container image signature"},"optional":{"org.opencontainers.image.revision":"0123456789abcdef0123456789abcdef01234567","org.opencontainers.image.source":"https://github.com/example/mcp"}}`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sign.Payload(img, tc.claims)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("Payload() =\n%s\nwant\n%s", got, tc.want)
			}
			p, err := sign.ParsePayload(got)
			if err != nil {
				t.Fatal(err)
			}
			if p.Critical.Identity.DockerReference != "127.0.0.1:15000/mcp/alpha" || p.Critical.Image.DockerManifestDigest != testDigest {
				t.Errorf("ParsePayload() = %+v", p.Critical)
			}
		})
	}
}

func TestPayloadDockerHubNormalized(t *testing.T) {
	// docker-reference is the repository's full name, as cosign writes it for Docker Hub.
	img, _ := name.NewDigest("mcp/fetch@" + testDigest)
	got, err := sign.Payload(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := sign.ParsePayload(got)
	if p.Critical.Identity.DockerReference != "index.docker.io/mcp/fetch" {
		t.Errorf("docker-reference = %q", p.Critical.Identity.DockerReference)
	}
}

func TestPayloadBadInput(t *testing.T) {
	img, _ := name.NewDigest("127.0.0.1:15000/mcp/alpha@" + testDigest)
	if _, err := sign.Payload(img, map[string]string{"": "x"}); err == nil {
		t.Error("Payload with an empty claim key: want error")
	}
	if _, err := sign.ParsePayload([]byte(`{"critical":{"type":"atomic container signature"}}`)); err == nil {
		t.Error("ParsePayload of another type: want error")
	}
	// JSON null decodes to nothing in sigstore's payload type; it is not a payload.
	for _, in := range []string{"null", " null "} {
		if p, err := sign.ParsePayload([]byte(in)); err == nil {
			t.Errorf("ParsePayload(%q) = %+v, nil; want an error", in, p)
		}
	}
}
