package catalog

import (
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
)

// TestCheckImageName covers the distribution reference grammar: an optional registry
// host[:port] (a first component containing '.' or ':', or "localhost"), then lowercase
// path components.
func TestCheckImageName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"mcp/fetch", ""},
		{"fetch", ""},
		{"ghcr.io/org/sub/fetch", ""},
		{"localhost/fetch", ""},
		{"localhost:5000/fetch", ""},
		{"127.0.0.1:15000/mcp/fetch", ""},
		{"[::1]:5000/fetch", ""},
		{"[fe80::1]/fetch", ""},
		{"registry-1.docker.io/mcp/fetch", ""},
		{"Registry.Example.COM/mcp/fetch", ""},
		{"xn--bcher-kva.example/mcp/fetch", ""},
		{"a/b__c/d--e.f_g", ""},
		{"../v2/x", `first component ".." is read as a registry host`},
		{"./x", `first component "." is read as a registry host`},
		{"../x", `first component ".." is read as a registry host`},
		{".example.com/x", `is not a valid registry host`},
		{"example.com./x", `is not a valid registry host`},
		{"example..com/x", `is not a valid registry host`},
		{"-reg.example.com/x", `is not a valid registry host`},
		{"reg-.example.com/x", `is not a valid registry host`},
		{"reg_1.example.com/x", `is not a valid registry host`},
		{"reg.example.com:/x", `port "" is not a number from 1 to 65535`},
		{"reg.example.com:0/x", `port "0" is not a number from 1 to 65535`},
		{"reg.example.com:65536/x", `port "65536" is not a number from 1 to 65535`},
		{"reg.example.com:http/x", `port "http" is not a number from 1 to 65535`},
		{"reg.example.com:5000:1/x", `port "5000:1" is not a number from 1 to 65535`},
		{"[::1/x", `is not a valid registry host`},
		{":1/x", `is not a valid registry host`},
		{"[::1]x/x", `is not a valid registry host`},
		{"[zz::1]:5000/x", `is not a valid registry host`},
		{"ex/../x", `path component ".." is not`},
		{"ex/./x", `path component "." is not`},
		{"ex/.x", `path component ".x" is not`},
		{"ex//x", `has an empty path component`},
		{"ex/x/", `has an empty path component`},
		{"/ex/x", `has an empty path component`},
		{"ex/-x", `path component "-x" is not`},
		{"ex/x_", `path component "x_" is not`},
		{"ex/a___b", `path component "a___b" is not`},
		{"ex.com/", `has an empty path component`},
		{"ex/" + strings.Repeat("a", 243), `is too long: 256 characters as docker.io/<image>, over the 255 of an image name`},
		{"ex/" + strings.Repeat("a", 242), ""},
		{strings.Repeat("a", 238), `is too long: 256 characters as docker.io/library/<image>, over the 255 of an image name`},
		{strings.Repeat("a", 237), ""},
		{"reg.io/" + strings.Repeat("a", 248), ""},
		{"reg.io/" + strings.Repeat("a", 249), `is too long: 256 characters, over the 255 of an image name`},
		{strings.Repeat("0a", 32), "is 64 hex characters, which Docker reads as an image ID"},
		{"mcp/" + strings.Repeat("0a", 32), ""},
		{"Example/Image_Invalid", "repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`"},
		{"mcp/fetch:latest", ""},
		{"mcp/fetch:" + strings.Repeat("a", 128), ""},
		{"mcp/fetch:" + strings.Repeat("a", 129), "is not a valid tag"},
		{"mcp/fetch:.x", `tag ".x" is not a valid tag`},
		{"mcp/fetch:a:b", `"mcp/fetch:a" is not a valid OCI repository reference`},
		{"mcp/fetch@sha256:" + strings.Repeat("0", 64), "must not carry a digest"},
		{"ex/x\x00y", "control character U+0000"},
		{"ex\u202e.com/x", "bidirectional control U+202E"},
	} {
		got := checkImage(tt.in)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("checkImage(%q) = %q, want containing %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckToolImageHost(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"alpine/curl:8", ""},
		{"ghcr.io/org/tool@sha256:" + strings.Repeat("0", 64), ""},
		{"localhost:5000/tool:v1", ""},
		{"../v2/x:latest", `first component ".." is read as a registry host`},
		{"reg_1.io/x:1", "is not a valid registry host"},
		{"alpine/curl:8\u2028", "line or paragraph separator U+2028"},
	} {
		got := checkToolImage(tt.in)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("checkToolImage(%q) = %q, want containing %q", tt.in, got, tt.want)
		}
	}
}

// FuzzImage checks every accepted image name against two independent parsers: Docker's
// distribution reference (what the registry and BuildKit use) and go-containerregistry
// (what build, sign and verify use). Both must accept it without a digest, read a tag
// exactly when splitTag does, and agree with each other on the registry and path of the
// repository mcpbuild pushes to (the name without its tag).
func FuzzImage(f *testing.F) {
	for _, s := range []string{
		"mcp/fetch", "ghcr.io/org/x", "localhost:5000/x", "[::1]:5000/x", "../v2/x", "./x",
		"ex//x", "ex/x/", "Example/x", "ex\u202e.com/x", "ex/x\x00", "a.b:1/c__d/e--f", "x:1",
		"reg.io:65536/x", "docker.io/x", "index.docker.io/library/x", "LOCALHOST/x",
		"ghcr.io/x/y:1.2", "localhost:5000/x:v1", "x:", "x:-1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, img string) {
		if checkImage(img) != "" {
			return
		}
		if checkText(img) != "" {
			t.Fatalf("accepted %q with a hostile character", img)
		}
		ref, err := reference.ParseNormalizedNamed(img)
		if err != nil {
			t.Fatalf("accepted %q; distribution/reference refuses it: %v", img, err)
		}
		_, tag, tagged := splitTag(img)
		if rt, ok := ref.(reference.Tagged); ok != tagged || (ok && rt.Tag() != tag) {
			t.Fatalf("%q: distribution reads a tag: %v; splitTag reads %q, %v", img, ok, tag, tagged)
		}
		if _, digested := ref.(reference.Digested); digested {
			t.Fatalf("accepted %q, which carries a digest", img)
		}
		img = (&Server{Image: img}).Repository()
		repo, err := name.NewRepository(img)
		if err != nil {
			t.Fatalf("accepted %q; go-containerregistry refuses it: %v", img, err)
		}
		domain, path := reference.Domain(ref), reference.Path(ref)
		if domain == "docker.io" {
			domain = name.DefaultRegistry
		}
		if domain != repo.RegistryStr() || path != repo.RepositoryStr() {
			t.Fatalf("%q: distribution reads %s / %s, go-containerregistry %s / %s",
				img, domain, path, repo.RegistryStr(), repo.RepositoryStr())
		}
	})
}
