package build

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/catalog"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

const (
	pinA = "01f5ff7bc2e2f390b14a0f2ada043d74648b787a"
	pinB = "0bdb7cd1cd1fa7e23bb677e49b763f55443ef464"
)

func srv(name, project, commit string, mod func(*catalog.Source)) *catalog.Server {
	s := &catalog.Server{Name: name, Image: "mcp/" + name, Type: catalog.TypeServer,
		Source: catalog.Source{Project: project, Commit: commit, Branch: "main"}}
	if mod != nil {
		mod(&s.Source)
	}
	return s
}

// goldenPlan is the JSON-able part of a SolveOpt (the rest holds funcs and sessions).
type goldenPlan struct {
	Frontend      string            `json:"frontend"`
	FrontendAttrs map[string]string `json:"frontendAttrs"`
	Exports       []goldenExport    `json:"exports"`
	Ref           string            `json:"ref,omitempty"`
	Session       int               `json:"sessionAttachables"`
}

type goldenExport struct {
	Type  string            `json:"type"`
	Attrs map[string]string `json:"attrs"`
}

func TestPlanGolden(t *testing.T) {
	mirrors, err := catalog.ParseMirrors([]string{"https://github.com/example/=git://mirror.internal:9418/gh/"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		golden string
		s      *catalog.Server
		opts   PlanOptions
	}{
		{"root", srv("pinned", "git://127.0.0.1:19418/mcp-pinned.git", pinA, nil),
			PlanOptions{Registry: "127.0.0.1:15000"}},
		{"directory", srv("alpha", "git://127.0.0.1:19418/mcp-monorepo.git", pinA, func(s *catalog.Source) {
			s.Directory = "servers/alpha/"
		}), PlanOptions{Registry: "localhost:5000", Tag: "v1"}},
		{"dockerfile-target", srv("multi", "https://github.com/example/multi", pinB, func(s *catalog.Source) {
			s.Dockerfile, s.BuildTarget = "build/Containerfile.mcp", "release"
		}), PlanOptions{Registry: "registry.example.com", NoCache: true}},
		{"mirror", srv("multi", "https://github.com/example/multi", pinB, func(s *catalog.Source) {
			s.Directory = "."
		}), PlanOptions{Registry: "registry.example.com:5000", Mirrors: mirrors, Insecure: true}},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			so, err := Plan(tc.s, tc.opts)
			if err != nil {
				t.Fatalf("Plan() = %v", err)
			}
			g := goldenPlan{Frontend: so.Frontend, FrontendAttrs: so.FrontendAttrs, Ref: so.Ref, Session: len(so.Session)}
			for _, e := range so.Exports {
				g.Exports = append(g.Exports, goldenExport{e.Type, e.Attrs})
			}
			got, err := json.MarshalIndent(g, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tc.golden+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if string(got) != string(want) {
				t.Errorf("Plan() differs from %s (-update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// TestPlanInvariants checks what the goldens must always say, independently of them.
func TestPlanInvariants(t *testing.T) {
	s := srv("alpha", "https://github.com/example/mono", pinA, func(s *catalog.Source) { s.Directory = "servers/alpha" })
	so, err := Plan(s, PlanOptions{Registry: "registry.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	a := so.FrontendAttrs
	checks := map[string]string{
		"context":                        "https://github.com/example/mono.git#" + pinA + ":servers/alpha",
		"label:" + catalog.RevisionLabel: pinA,
		"label:" + catalog.SourceLabel:   "https://github.com/example/mono",
		"build-arg:SOURCE_DATE_EPOCH":    "context",
	}
	for k, want := range checks {
		if a[k] != want {
			t.Errorf("FrontendAttrs[%q] = %q, want %q", k, a[k], want)
		}
	}
	if strings.Contains(a["context"], "main") {
		t.Errorf("context %q mentions the branch", a["context"])
	}
	if len(so.Exports) != 1 {
		t.Fatalf("Exports = %+v", so.Exports)
	}
	e := so.Exports[0].Attrs
	if e["name"] != "registry.example.com/mcp/alpha:latest" || e["push"] != "true" || e["rewrite-timestamp"] != "true" {
		t.Errorf("exporter attrs = %v", e)
	}
	if _, ok := e["registry.insecure"]; ok {
		t.Errorf("registry.insecure set for a remote registry: %v", e)
	}
	for k := range a {
		if strings.HasPrefix(k, "attest:") {
			t.Errorf("plan requests attestation %s: it would change the pushed digest", k)
		}
	}
}

// TestPlanTaggedImage: a tag the catalog's image carries (Docker's registry allows it) is
// dropped; the image is pushed to <registry>/<repository>:<--tag>.
func TestPlanTaggedImage(t *testing.T) {
	s := srv("alpha", "https://github.com/example/mono", pinA, nil)
	for image, want := range map[string]string{
		"mcp/alpha:1.2":            "registry.example.com/mcp/alpha:v9",
		"ghcr.io/org/alpha:stable": "registry.example.com/ghcr.io/org/alpha:v9",
	} {
		s.Image = image
		so, err := Plan(s, PlanOptions{Registry: "registry.example.com", Tag: "v9"})
		if err != nil {
			t.Fatal(err)
		}
		if got := so.Exports[0].Attrs["name"]; got != want {
			t.Errorf("image %s: pushed as %q, want %q", image, got, want)
		}
		tags, err := imageTags(s, PlanOptions{Registry: "registry.example.com"})
		if err != nil || len(tags) != 1 || tags[0].String() != strings.TrimSuffix(want, ":v9")+":latest" {
			t.Errorf("imageTags(%s) = %v, %v", image, tags, err)
		}
	}
}

func TestPlanErrors(t *testing.T) {
	ok := func(mod func(*catalog.Server)) *catalog.Server {
		s := srv("x", "https://github.com/example/x", pinA, nil)
		mod(s)
		return s
	}
	reg := PlanOptions{Registry: "registry.example.com"}
	tests := []struct {
		name string
		s    *catalog.Server
		opts PlanOptions
		want string
	}{
		{"nil", nil, reg, "nil server"},
		{"remote", ok(func(s *catalog.Server) { s.Type = catalog.TypeRemote }), reg, `type "remote" is not built from source`},
		{"short commit", ok(func(s *catalog.Server) { s.Source.Commit = "01f5ff7" }), reg, "not a full 40-character"},
		{"upper commit", ok(func(s *catalog.Server) { s.Source.Commit = strings.ToUpper(pinA) }), reg, "not a full 40-character"},
		{"branch", ok(func(s *catalog.Server) { s.Source.Commit = "main" }), reg, "not a full 40-character"},
		{"no project", ok(func(s *catalog.Server) { s.Source.Project = "" }), reg, "source.project is empty"},
		{"file project", ok(func(s *catalog.Server) { s.Source.Project = "file:///srv/x.git" }), reg, "cannot fetch"},
		{"ftp project", ok(func(s *catalog.Server) { s.Source.Project = "ftp://h/x" }), reg, `unsupported scheme "ftp"`},
		{"relative project", ok(func(s *catalog.Server) { s.Source.Project = "../x" }), reg, "scp-like user@host:path"},
		{"scp-like with a dotted user", ok(func(s *catalog.Server) { s.Source.Project = "first.last@h:x.git" }), reg, "scp-like user@host:path"},
		{"no host", ok(func(s *catalog.Server) { s.Source.Project = "git:///x.git" }), reg, "no host"},
		{"whitespace", ok(func(s *catalog.Server) { s.Source.Project = "https://h/x y" }), reg, "whitespace"},
		{"fragment", ok(func(s *catalog.Server) { s.Source.Project = "https://h/x.git#main" }), reg, "query or fragment"},
		{"abs dir", ok(func(s *catalog.Server) { s.Source.Directory = "/srv" }), reg, "must be relative"},
		{"dotdot dir", ok(func(s *catalog.Server) { s.Source.Directory = "a/../../b" }), reg, "'..'"},
		{"colon dir", ok(func(s *catalog.Server) { s.Source.Directory = "a:b" }), reg, "must not contain"},
		{"dotdot dockerfile", ok(func(s *catalog.Server) { s.Source.Dockerfile = "../Dockerfile" }), reg, "source.dockerfile"},
		{"no registry", ok(func(*catalog.Server) {}), PlanOptions{}, "no registry"},
		{"registry path", ok(func(*catalog.Server) {}), PlanOptions{Registry: "r.example.com/ns"}, "without scheme or path"},
		{"no image", ok(func(s *catalog.Server) { s.Image = "" }), reg, "image is empty"},
		{"bad image", ok(func(s *catalog.Server) { s.Image = "MCP/Upper" }), reg, `image "MCP/Upper"`},
		{"bad tag", ok(func(*catalog.Server) {}), PlanOptions{Registry: "r.example.com", Tag: "a b"}, `tag "a b"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			so, err := Plan(tc.s, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Plan() = %v, %v; want error containing %q", so, err, tc.want)
			}
			if tc.s != nil && !strings.Contains(err.Error(), "server x") && tc.name != "nil" {
				t.Errorf("error %q does not name the server", err)
			}
		})
	}
}

// TestContextURL checks the git contexts of the remote forms the catalog accepts, with and
// without mirrors, each parsed back by BuildKit's own parser as the pinned commit.
func TestContextURL(t *testing.T) {
	mirrors, err := catalog.ParseMirrors([]string{"git@github.com:=https://mirror.internal/gh/", "https://github.com/=git://127.0.0.1:19418/"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		project, dir string
		mirrors      catalog.Mirrors
		want         string
	}{
		{"https://github.com/example/x", "", nil, "https://github.com/example/x.git#" + pinA},
		{"https://github.com/example/x/", "src/a/", nil, "https://github.com/example/x.git#" + pinA + ":src/a"},
		{"git://127.0.0.1:19418/m.git", "./servers//alpha", nil, "git://127.0.0.1:19418/m.git#" + pinA + ":servers/alpha"},
		{"ssh://git@github.com:2222/example/x.git", ".", nil, "ssh://git@github.com:2222/example/x.git#" + pinA},
		{"git@github.com:example/x.git", "d", nil, "git@github.com:example/x.git#" + pinA + ":d"},
		{"git@github.com:example/x.git", "", mirrors, "https://mirror.internal/gh/example/x.git#" + pinA},
		{"https://github.com/example/x", "", mirrors, "git://127.0.0.1:19418/example/x#" + pinA},
	}
	for _, tc := range tests {
		s := srv("x", tc.project, pinA, func(s *catalog.Source) { s.Directory = tc.dir })
		got, err := ContextURL(s, tc.mirrors)
		if err != nil || got != tc.want {
			t.Errorf("ContextURL(%q, %q) = %q, %v; want %q", tc.project, tc.dir, got, err, tc.want)
		}
	}
}
