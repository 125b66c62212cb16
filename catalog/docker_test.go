package catalog

import (
	"strings"
	"testing"
)

// entry is a valid "server" entry named name, with extra appended.
func entry(name, image, extra string) string {
	return "name: " + name + "\nimage: " + image + "\ntype: server\nsource:\n  project: https://example.com/x\n  commit: 0123456789abcdef0123456789abcdef01234567\n" + extra
}

// TestDockerCompatibility covers what Docker's registry accepts but mcpbuild only warns
// about (errors with Options.Strict), and the offline rules of Docker's CI that are errors.
func TestDockerCompatibility(t *testing.T) {
	tests := []struct {
		name, folder, in string
		want             string // the one diagnostic, exactly
		soft             bool   // a warning, an error with Strict; else always an error
	}{
		{"tagged image", "x", entry("x", "ghcr.io/org/x:1.2", ""),
			`servers/x/server.yaml:2:8: image: "ghcr.io/org/x:1.2" carries a tag (":1.2"), which mcpbuild drops: it pushes ghcr.io/org/x by digest, tagged with its own --tag (default latest)`, true},
		{"tagged image with a registry port", "x", entry("x", "localhost:5000/x:latest", ""),
			`servers/x/server.yaml:2:8: image: "localhost:5000/x:latest" carries a tag (":latest"), which mcpbuild drops: it pushes localhost:5000/x by digest, tagged with its own --tag (default latest)`, true},
		{"invalid tag", "x", entry("x", "ex/x:-1", ""),
			`servers/x/server.yaml:2:8: image: "ex/x:-1": tag "-1" is not a valid tag (1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-')`, false},
		{"legacy name", "osp_marketing_tools", entry("osp_marketing_tools", "ex/x", ""),
			`servers/osp_marketing_tools/server.yaml:1:7: name: "osp_marketing_tools" is a legacy name that Docker's registry grandfathers; names must match ^[a-z0-9-]+$ (lowercase letters, digits and hyphens)`, true},
		{"other underscore name", "my_server", entry("my_server", "ex/x", ""),
			`servers/my_server/server.yaml:1:7: name: "my_server" must match ^[a-z0-9-]+$ (lowercase letters, digits and hyphens)`, false},
		{"title with MCP", "x", entry("x", "ex/x", "about:\n  title: Fetch MCP\n"),
			`servers/x/server.yaml:8:10: about.title: "Fetch MCP" contains "MCP", which Docker's registry refuses in new titles`, true},
		{"title not capitalized", "x", entry("x", "ex/x", "about:\n  title: Fetch and search pages\n"),
			`servers/x/server.yaml:8:10: about.title: "Fetch and search pages": word "search" is not capitalized, which Docker's registry refuses in new titles`, true},
		{"secret name", "x", entry("x", "ex/x", "config:\n  secrets:\n    - name: api_key\n      env: API_KEY\n"),
			`servers/x/server.yaml:9:13: config.secrets[0].name: "api_key" must have the form prefix.name (letters, digits, '_' and '-', a '.', then letters, digits, '_', '-' and '.'), as Docker's registry requires`, false},
		{"legacy secret name", "nasdaq-data-link", entry("nasdaq-data-link", "ex/x", "config:\n  secrets:\n    - name: nasdaq_data_link_api_key\n      env: API_KEY\n"),
			`servers/nasdaq-data-link/server.yaml:9:13: config.secrets[0].name: "nasdaq_data_link_api_key" is a legacy secret name that Docker's registry grandfathers; secret names have the form prefix.name`, true},
		{"env parameter of another server", "x", entry("x", "ex/x", "config:\n  env:\n    - name: A\n      value: '{{y.mode}}'\n"),
			`servers/x/server.yaml:10:14: config.env[0].value: "{{y.mode}}" refers to a parameter of another server; Docker's registry requires {{x.<parameter>}}`, false},
		{"oauth without dynamic tools", "x", entry("x", "ex/x", "oauth:\n  - provider: p\n"),
			`servers/x/server.yaml:8:3: oauth: an entry with OAuth must declare dynamic.tools: true, as Docker's registry requires`, false},
		{"oauth exception", "github-official", entry("github-official", "ex/x", "oauth:\n  - provider: github\n"),
			`servers/github-official/server.yaml:8:3: oauth: an entry with OAuth must declare dynamic.tools: true, as Docker's registry requires (Docker grandfathers this entry)`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "servers/" + tt.folder + "/server.yaml"
			for _, strict := range []bool{false, true} {
				_, warns, err := Parse(path, []byte(tt.in), Options{Strict: strict})
				gotErr, gotWarn := "", ""
				if err != nil {
					gotErr = err.Error()
				}
				if len(warns) > 0 {
					gotWarn = joinText(warns)
				}
				wantErr, wantWarn := tt.want, ""
				if tt.soft && !strict {
					wantErr, wantWarn = "", tt.want
				}
				if gotErr != wantErr || gotWarn != wantWarn {
					t.Errorf("strict=%v:\nerrors   %q\nwarnings %q\nwant     %q\nwarnings %q", strict, gotErr, gotWarn, wantErr, wantWarn)
				}
			}
		})
	}
}

// A grandfathered name must still equal its folder.
func TestLegacyNameFolder(t *testing.T) {
	_, _, err := Parse("servers/sqlite/server.yaml", []byte(entry("SQLite", "ex/x", "")), Options{})
	if err == nil || err.Error() != `servers/sqlite/server.yaml:1:7: name: "SQLite" must equal its folder name "sqlite"` {
		t.Errorf("err = %v", err)
	}
}

// TestDockerAccepts lists forms Docker's registry accepts that mcpbuild once refused.
func TestDockerAccepts(t *testing.T) {
	for _, in := range []string{
		"name: r\ntype: remote\nremote:\n  url: https://example.com/mcp\n  transport_type: stdio\n",
		entry("x", "ex/x", "about:\n  title: Search for Pages and More (beta) 2\n"),
		entry("x", "ex/x", "config:\n  env:\n    - name: A\n      value: '{{x.mode}}'\n    - name: B\n      value: plain\n"),
		entry("x", "ex/x", "dynamic:\n  tools: true\noauth:\n  - provider: p\n"),
	} {
		if _, warns, err := Parse("servers/"+strings.TrimPrefix(strings.SplitN(in, "\n", 2)[0], "name: ")+"/server.yaml", []byte(in), Options{Strict: true}); err != nil || len(warns) > 0 {
			t.Errorf("Parse(%q) = %v, warnings %v; want valid", in, err, warns)
		}
	}
}

// TestRepositoryAndImageRef: the catalog's tag is dropped wherever the image is pushed or
// looked up.
func TestRepositoryAndImageRef(t *testing.T) {
	for _, tt := range []struct{ image, registry, tag, repo, ref string }{
		{"mcp/fetch", "127.0.0.1:15000", "", "mcp/fetch", "127.0.0.1:15000/mcp/fetch:latest"},
		{"mcp/fetch:1.2", "127.0.0.1:15000", "v2", "mcp/fetch", "127.0.0.1:15000/mcp/fetch:v2"},
		{"ghcr.io/org/x:latest", "127.0.0.1:15000", "", "ghcr.io/org/x", "127.0.0.1:15000/ghcr.io/org/x:latest"},
		{"localhost:5000/x:v1", "", "", "localhost:5000/x", "localhost:5000/x:latest"},
		{"localhost:5000/x", "", "t", "localhost:5000/x", "localhost:5000/x:t"},
		{"mcp/fetch:1.2", "", "", "mcp/fetch", "index.docker.io/mcp/fetch:latest"},
	} {
		s := &Server{Name: "x", Image: tt.image}
		if got := s.Repository(); got != tt.repo {
			t.Errorf("Repository(%q) = %q, want %q", tt.image, got, tt.repo)
		}
		ref, err := s.ImageRef(Destination{Registry: tt.registry}, tt.tag)
		if err != nil || ref.String() != tt.ref {
			t.Errorf("ImageRef(%q, %q, %q) = %v, %v; want %s", tt.image, tt.registry, tt.tag, ref, err, tt.ref)
		}
	}
	if _, err := (&Server{Image: "mcp/x"}).ImageRef(Destination{Registry: "r.io"}, "a b"); err == nil || !strings.Contains(err.Error(), `tag "a b"`) {
		t.Errorf("ImageRef with a bad tag: %v", err)
	}
	// Two entries whose images differ only by tag share a repository: a duplicate.
	a, b := mustFindByImage(t, []*Server{{Name: "a", Image: "ex/a:1"}}, "ex/a"), mustFindByImage(t, []*Server{{Name: "a", Image: "ex/a:1"}}, "r.io/ex/a")
	if a == nil || b == nil {
		t.Errorf("FindByImage ignores the catalog's tag: got %v, %v", a, b)
	}
}
