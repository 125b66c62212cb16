//go:build e2e

package build_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
)

// e2eEnv is the local stack as .stack/env describes it.
type e2eEnv struct {
	buildkit string // BUILDKIT_HOST
	registry string // MCPBUILD_E2E_REGISTRY
	git      string // MCPBUILD_E2E_GIT, e.g. git://127.0.0.1:19418
}

func stack(t *testing.T) e2eEnv {
	t.Helper()
	e := e2eEnv{os.Getenv("BUILDKIT_HOST"), os.Getenv("MCPBUILD_E2E_REGISTRY"), os.Getenv("MCPBUILD_E2E_GIT")}
	if os.Getenv("MCPBUILD_E2E") != "1" || e.buildkit == "" || e.registry == "" || e.git == "" {
		t.Skip("needs the local stack: . .stack/env (MCPBUILD_E2E=1, BUILDKIT_HOST, MCPBUILD_E2E_REGISTRY, MCPBUILD_E2E_GIT)")
	}
	return e
}

// fixtureCommit returns the commit of repo's fixture step slug from testdata/repos/hashes.txt.
func fixtureCommit(t *testing.T, repo, slug string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "testdata", "repos", "hashes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == repo && f[1] == slug {
			return f[2]
		}
	}
	t.Fatalf("no fixture commit %s %s", repo, slug)
	return ""
}

func server(nm, project, commit, dir string) *catalog.Server {
	return &catalog.Server{Name: nm, Image: "mcpbuild-e2e/" + nm, Type: catalog.TypeServer,
		Source: catalog.Source{Project: project, Commit: commit, Directory: dir}}
}

func newBuilder(t *testing.T, e e2eEnv, po build.PlanOptions, opts ...build.Option) *build.BuildKit {
	t.Helper()
	if po.Registry == "" {
		po.Registry = e.registry
	}
	b, err := build.NewBuildKit(context.Background(), e.buildkit, po, opts...)
	if err != nil {
		t.Fatalf("NewBuildKit(%s) = %v", e.buildkit, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// gitShow returns the content of path at commit of the repository at url, fetched with
// the git CLI into a temporary bare repository (independently of BuildKit).
func gitShow(t *testing.T, url, commit, path string) string {
	t.Helper()
	dir := t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"--git-dir", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return string(out)
	}
	run("init", "-q", "--bare")
	run("fetch", "-q", "--depth=1", url, commit)
	return run("show", commit+":"+path)
}

// remoteImage reads the pushed image back from the registry.
func remoteImage(t *testing.T, d name.Digest) (v1.Image, *v1.ConfigFile) {
	t.Helper()
	img, err := remote.Image(d)
	if err != nil {
		t.Fatalf("reading %s back: %v", d, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return img, cfg
}

// imageFile returns the content of file p in the flattened image.
func imageFile(t *testing.T, img v1.Image, p string) string {
	t.Helper()
	_, content := imageEntry(t, img, p)
	return content
}

// imageEntry returns the tar header and content of file p in the flattened image.
func imageEntry(t *testing.T, img v1.Image, p string) (*tar.Header, string) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("image has no file %s", p)
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "/") == strings.TrimPrefix(p, "/") {
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, tr); err != nil {
				t.Fatal(err)
			}
			return h, buf.String()
		}
	}
}

// countingProxy forwards TCP connections to target (a "tcp" or "unix" address of
// network) and counts them.
func countingProxy(t *testing.T, network, target string) (addr string, conns *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	conns = &atomic.Int64{}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				u, err := net.Dial(network, target)
				if err != nil {
					return
				}
				defer u.Close()
				go io.Copy(u, c)
				io.Copy(c, u)
			}()
		}
	}()
	return l.Addr().String(), conns
}
