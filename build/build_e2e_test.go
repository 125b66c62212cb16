//go:build e2e

package build_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
)

// TestE2EPinnedNotTip builds a commit that is not its branch tip and checks, from the
// registry, the labels, the file content, the timestamps and the provenance.
func TestE2EPinnedNotTip(t *testing.T) {
	e := stack(t)
	project := e.git + "/mcp-pinned.git"
	pin := fixtureCommit(t, "mcp-pinned", "02-v0.2.0")
	tip := fixtureCommit(t, "mcp-pinned", "03-v0.3.0")
	b := newBuilder(t, e, build.PlanOptions{})
	res, err := b.Build(context.Background(), server("pinned", project, pin, ""))
	if err != nil {
		t.Fatalf("Build() = %v", err)
	}
	img, cfg := remoteImage(t, res.Image)
	if got := cfg.Config.Labels[catalog.RevisionLabel]; got != pin {
		t.Errorf("revision label = %q, want the pin %s", got, pin)
	}
	if got := cfg.Config.Labels[catalog.SourceLabel]; got != project {
		t.Errorf("source label = %q, want %s", got, project)
	}
	want, tipContent := gitShow(t, project, pin, "version.txt"), gitShow(t, project, tip, "version.txt")
	if want == tipContent {
		t.Fatalf("fixture broken: version.txt is the same at pin and tip")
	}
	if got := imageFile(t, img, "version.txt"); got != want {
		t.Errorf("/version.txt = %q, want %q (pinned commit; tip has %q)", got, want, tipContent)
	}
	// SOURCE_DATE_EPOCH is the pin's committer time, and file times are rewritten to it
	// (the checkout is younger than the commit).
	ct := committerTime(t, project, pin)
	if !cfg.Created.Time.Equal(ct) {
		t.Errorf("config created = %v, want the pin's committer time %v", cfg.Created.Time, ct)
	}
	if h, _ := imageEntry(t, img, "version.txt"); !h.ModTime.Equal(ct) {
		t.Errorf("/version.txt mtime = %v, want the pin's committer time %v", h.ModTime.UTC(), ct)
	}
	// Provenance: subject is the pushed digest, source is the git URI at the pin.
	src, err := build.ParseProvenanceSource(res.Provenance)
	if err != nil {
		t.Fatalf("ParseProvenanceSource() = %v\n%s", err, res.Provenance)
	}
	if src.SHA1 != pin || src.URI != res.ContextURL {
		t.Errorf("provenance source = %+v, want uri %s sha1 %s", src, res.ContextURL, pin)
	}
	var st struct {
		Subject []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(res.Provenance, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Subject) != 1 || "sha256:"+st.Subject[0].Digest["sha256"] != res.Image.DigestStr() ||
		st.Subject[0].Name != res.Image.Context().Name() {
		t.Errorf("provenance subject = %+v, want %s", st.Subject, res.Image)
	}
	// The tag was pushed too and names the same manifest.
	if d, err := remote.Head(res.Tag); err != nil || d.Digest.String() != res.Image.DigestStr() {
		t.Errorf("tag %s = %v, %v; want %s", res.Tag, d, err, res.Image.DigestStr())
	}
	// The pushed tag is the plain image manifest (no attestation index).
	m, err := img.MediaType()
	if err != nil || !strings.Contains(string(m), "image.manifest") {
		t.Errorf("pushed media type = %q, %v; want an image manifest", m, err)
	}
}

// TestE2EMultistageLabelsOverride builds a custom Dockerfile path and target whose stage
// sets bogus revision and source labels: mcpbuild's labels win.
func TestE2EMultistageLabelsOverride(t *testing.T) {
	e := stack(t)
	project := e.git + "/mcp-multistage.git"
	pin := fixtureCommit(t, "mcp-multistage", "02-debug-stage")
	s := server("multi", project, pin, "")
	s.Source.Dockerfile, s.Source.BuildTarget = "build/Containerfile.mcp", "release"
	res, err := newBuilder(t, e, build.PlanOptions{}).Build(context.Background(), s)
	if err != nil {
		t.Fatalf("Build() = %v", err)
	}
	img, cfg := remoteImage(t, res.Image)
	if got := cfg.Config.Labels[catalog.RevisionLabel]; got != pin {
		t.Errorf("revision label = %q, want %s (the Dockerfile sets a bogus one)", got, pin)
	}
	if got := cfg.Config.Labels[catalog.SourceLabel]; got != project {
		t.Errorf("source label = %q, want %s", got, project)
	}
	if got, want := imageFile(t, img, "target.txt"), gitShow(t, project, pin, "release.txt"); got != want {
		t.Errorf("/target.txt = %q, want release.txt %q (target release)", got, want)
	}
}

// TestE2EReproducible builds one pin twice without cache: same manifest digest.
func TestE2EReproducible(t *testing.T) {
	e := stack(t)
	s := server("repro", e.git+"/mcp-monorepo.git", fixtureCommit(t, "mcp-monorepo", "02-add-beta"), "servers/beta")
	b := newBuilder(t, e, build.PlanOptions{NoCache: true})
	r1, err := b.Build(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := b.Build(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Image.DigestStr() != r2.Image.DigestStr() {
		t.Errorf("two no-cache builds of one pin: %s and %s", r1.Image.DigestStr(), r2.Image.DigestStr())
	}
	if r1.BuildRef == r2.BuildRef {
		t.Errorf("both builds have history ref %s", r1.BuildRef)
	}
}

// TestE2EUnknownCommit: a commit the remote does not have is a CommitNotFoundError that
// names project and commit.
func TestE2EUnknownCommit(t *testing.T) {
	e := stack(t)
	project := e.git + "/mcp-pinned.git"
	missing := strings.Repeat("0123456789", 4)
	_, err := newBuilder(t, e, build.PlanOptions{}).Build(context.Background(), server("missing", project, missing, ""))
	var nf *build.CommitNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("Build() = %v, want *CommitNotFoundError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, project) || !strings.Contains(msg, missing) {
		t.Errorf("error %q does not name project and commit", msg)
	}
	// The commit exists but the directory does not.
	pin := fixtureCommit(t, "mcp-pinned", "02-v0.2.0")
	_, err = newBuilder(t, e, build.PlanOptions{}).Build(context.Background(), server("nodir", project, pin, "servers/nope"))
	if !errors.As(err, &nf) || nf.Directory != "servers/nope" {
		t.Fatalf("Build() = %v, want *CommitNotFoundError for directory servers/nope", err)
	}
	if msg := err.Error(); !strings.Contains(msg, project) || !strings.Contains(msg, pin) || !strings.Contains(msg, "servers/nope") {
		t.Errorf("error %q does not name project, commit and directory", msg)
	}
}

// TestE2EUnreachable: BuildKit, git remote and registry that nobody answers are
// *UnreachableError naming the address.
func TestE2EUnreachable(t *testing.T) {
	e := stack(t)
	addr := "unix:///nonexistent/buildkitd.sock"
	_, err := build.NewBuildKit(context.Background(), addr, build.PlanOptions{Registry: e.registry}, build.WithConnectTimeout(3*time.Second))
	assertUnreachable(t, err, build.ServiceBuildKit, addr)

	pin := fixtureCommit(t, "mcp-pinned", "02-v0.2.0")
	_, err = newBuilder(t, e, build.PlanOptions{}).Build(context.Background(), server("nogit", "git://127.0.0.1:1/mcp-pinned.git", pin, ""))
	assertUnreachable(t, err, build.ServiceGitRemote, "git://127.0.0.1:1/mcp-pinned.git")

	_, err = newBuilder(t, e, build.PlanOptions{Registry: "127.0.0.1:1"}).Build(context.Background(), server("noreg", e.git+"/mcp-pinned.git", pin, ""))
	assertUnreachable(t, err, build.ServiceRegistry, "127.0.0.1:1")
}

func assertUnreachable(t *testing.T, err error, service, addr string) {
	t.Helper()
	var ue *build.UnreachableError
	if !errors.As(err, &ue) || ue.Service != service || ue.Addr != addr {
		t.Errorf("err = %v, want *UnreachableError{%s %s}", err, service, addr)
		return
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name %s", err, addr)
	}
}

// TestE2ESourceMirrorAndSharedFetch fetches through a counting proxy named by
// --source-mirror: labels keep the catalog's project, the provenance records the mirror
// URL, and two servers of one repository built in parallel connect to the remote no
// more often than one server alone does.
func TestE2ESourceMirrorAndSharedFetch(t *testing.T) {
	e := stack(t)
	gitHost := strings.TrimPrefix(e.git, "git://")
	pin := fixtureCommit(t, "mcp-monorepo", "02-add-beta")
	project := "https://example.invalid/fixtures/mcp-monorepo"

	count := func(jobs ...job) (int64, []*build.Result) {
		addr, conns := countingProxy(t, "tcp", gitHost)
		m, err := catalog.ParseMirrors([]string{"https://example.invalid/fixtures/=git://" + addr + "/"})
		if err != nil {
			t.Fatal(err)
		}
		b := newBuilder(t, e, build.PlanOptions{Mirrors: m, NoCache: true}) // no cache: both really check out
		res := make([]*build.Result, len(jobs))
		errs := make([]error, len(jobs))
		var wg sync.WaitGroup
		for i, j := range jobs {
			wg.Go(func() {
				res[i], errs[i] = b.Build(context.Background(), server(j.name, j.repo, j.commit, j.dir()))
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		return conns.Load(), res
	}
	one, _ := count(job{"alpha", project, pin})
	two, res := count(job{"alpha", project, pin}, job{"beta", project, pin})
	t.Logf("git connections: one server %d, two servers of the same repository %d", one, two)
	if one == 0 || two > one {
		t.Errorf("git connections: one server %d, two servers %d; want the repository fetched once", one, two)
	}
	// Control: the proxy does see each fetch; a second repository needs its own.
	other := "https://example.invalid/fixtures/mcp-pinned"
	if ctl, _ := count(job{"alpha", project, pin}, job{"pinned", other, fixtureCommit(t, "mcp-pinned", "02-v0.2.0")}); ctl <= one {
		t.Errorf("control: two repositories took %d connections, want more than %d", ctl, one)
	}
	for _, r := range res {
		_, cfg := remoteImage(t, r.Image)
		if got := cfg.Config.Labels[catalog.SourceLabel]; got != project {
			t.Errorf("%s: source label %q, want the catalog's %s", r.Server, got, project)
		}
		src, err := build.ParseProvenanceSource(r.Provenance)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(src.URI, "git://127.0.0.1:") || src.URI != r.ContextURL || src.SHA1 != pin {
			t.Errorf("%s: provenance source %+v, want the mirror URL %s at %s", r.Server, src, r.ContextURL, pin)
		}
	}
}

type job struct{ name, repo, commit string }

func (j job) dir() string {
	if strings.HasSuffix(j.repo, "mcp-monorepo") {
		return "servers/" + j.name
	}
	return ""
}

func committerTime(t *testing.T, url, commit string) time.Time {
	t.Helper()
	dir := t.TempDir()
	for _, args := range [][]string{{"init", "-q", "--bare"}, {"fetch", "-q", "--depth=1", url, commit}} {
		if out, err := exec.Command("git", append([]string{"--git-dir", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	out, err := exec.Command("git", "--git-dir", dir, "show", "-s", "--format=%ct", commit).Output()
	if err != nil {
		t.Fatal(err)
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		t.Fatal(fmt.Errorf("committer time %q: %w", out, err))
	}
	return time.Unix(sec, 0).UTC()
}

// TestE2ETCPBuildKit reaches the same buildkitd over tcp:// (a TCP proxy to its socket),
// as a remote or clustered BuildKit would be: same image digest as over unix://.
func TestE2ETCPBuildKit(t *testing.T) {
	e := stack(t)
	sock, ok := strings.CutPrefix(e.buildkit, "unix://")
	if !ok {
		t.Skipf("BUILDKIT_HOST %s is not a unix socket", e.buildkit)
	}
	addr, conns := countingProxy(t, "unix", sock)
	tcp := e
	tcp.buildkit = "tcp://" + addr
	s := server("tcp", e.git+"/mcp-pinned.git", fixtureCommit(t, "mcp-pinned", "02-v0.2.0"), "")
	overTCP, err := newBuilder(t, tcp, build.PlanOptions{}).Build(context.Background(), s)
	if err != nil {
		t.Fatalf("Build() over %s = %v", tcp.buildkit, err)
	}
	if conns.Load() == 0 {
		t.Fatalf("no connection went through %s", tcp.buildkit)
	}
	overUnix, err := newBuilder(t, e, build.PlanOptions{}).Build(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if overTCP.Image != overUnix.Image || overTCP.Provenance == nil {
		t.Errorf("over tcp:// %s (provenance %d bytes), over unix:// %s; want the same image", overTCP.Image, len(overTCP.Provenance), overUnix.Image)
	}
}
