package verify

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

func TestSameRepository(t *testing.T) {
	hub, _ := name.NewRepository("index.docker.io/mcp/x")
	local, _ := name.NewRepository("127.0.0.1:5000/mcp/x")
	cases := []struct {
		ref  string
		repo name.Repository
		want bool
	}{
		{"index.docker.io/mcp/x", hub, true},
		{"docker.io/mcp/x", hub, true}, // one registry, two spellings
		{"docker.io/mcp/x:latest", hub, true},
		{"docker.io/mcp/x@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", hub, true},
		{"mcp/x", hub, false}, // no registry: nothing implied
		{"ghcr.io/mcp/x", hub, false},
		{"docker.io/mcp/x-evil", hub, false},
		{"docker.io/mcp/x/sub", hub, false},
		{"docker.io/mcp", hub, false},
		{"127.0.0.1:5000/mcp/x", local, true},
		{"127.0.0.1:5000/mcp/x:v1", local, true},
		{"127.0.0.1:5001/mcp/x", local, false},
		{"127.0.0.1/mcp/x", local, false},
		{"127.0.0.1:5000/MCP/x", local, false},
		{" 127.0.0.1:5000/mcp/x", local, false},
		{"127.0.0.1:5000/mcp/x ", local, false},
		{"", local, false},
	}
	for _, c := range cases {
		if got := sameRepository(c.ref, c.repo); got != c.want {
			t.Errorf("sameRepository(%q, %s) = %v, want %v", c.ref, c.repo, got, c.want)
		}
	}
}
