package catalog

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

func TestCheckRepository(t *testing.T) {
	for ref, want := range map[string]string{
		"127.0.0.1:5000/mcp/fetch":                "",
		"ghcr.io/a-b/c_d/e__f/g.h:1.2":            "",
		"mcp/fetch":                               "",
		"fetch@sha256:" + strings.Repeat("0", 64): "",
		"127.0.0.1:5000/mcp/../evil":              `path segment ".." would be read as a relative path`,
		"127.0.0.1:5000/mcp/./evil":               `path segment "." would be read as a relative path`,
		"127.0.0.1:5000/mcp/evil/..:v1":           `path segment ".."`,
		"127.0.0.1:5000/../evil":                  `path segment ".."`,
		"127.0.0.1:5000/mcp/_x":                   `path component "_x" is not lowercase letters and digits`,
		"127.0.0.1:5000/mcp/x..y":                 `path component "x..y"`,
		"127.0.0.1:5000/mcp/.hidden":              `path component ".hidden"`,
	} {
		ref := ref
		r, err := name.ParseReference(ref)
		if err != nil {
			t.Fatalf("ParseReference(%q) = %v: the test wants what go-containerregistry accepts", ref, err)
		}
		err = CheckRepository(r.Context())
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckRepository(%s) = %v, want %q", ref, err, want)
		}
	}
}

// TestToolImagesFollowTheRule: a tool's container image is an image reference too.
func TestToolImageRefusesRelativeComponents(t *testing.T) {
	for _, img := range []string{"127.0.0.1:5000/mcp/../evil:1", "alpine/./curl:3", "x/..@sha256:" + strings.Repeat("0", 64)} {
		if msg := checkToolImage(img); !strings.Contains(msg, "relative path") {
			t.Errorf("checkToolImage(%q) = %q, want a refused relative component", img, msg)
		}
	}
	if msg := checkToolImage("alpine/curl:3"); msg != "" {
		t.Errorf("checkToolImage(alpine/curl:3) = %q", msg)
	}
}
