package repro

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

var fetch = &catalog.Server{Name: "fetch", Image: "mcp/fetch", Type: "server",
	Source: catalog.Source{Project: "https://example.invalid/fetch.git", Commit: strings.Repeat("a", 40)}}

// rebuilder answers every Build with img.
func rebuilder(img name.Digest) *build.Recorder {
	return &build.Recorder{Fake: func(s *catalog.Server) (*build.Result, error) {
		return &build.Result{Server: s.Name, Image: img}, nil
	}}
}

func TestCheck(t *testing.T) {
	host, reg := testRegistry(t)
	app := file{name: "app/main.py", body: "print(1)\n"}
	pub := push(t, host+"/mcp/fetch:latest", threeLayers(t, app))
	other := push(t, host+"/mcp/fetch:repro", threeLayers(t, file{name: "app/main.py", body: "print(2)\n"}))
	tag, err := name.NewTag(host + "/mcp/fetch:latest")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	c, err := NewChecker(rebuilder(pub), reg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Check(ctx, fetch, tag)
	if err != nil || r.Status != Reproducible || r.Published != pub.String() || r.Rebuilt != pub.String() {
		t.Errorf("Check() same = %+v, %v; want reproducible at %s", r, err, pub)
	}

	c, _ = NewChecker(rebuilder(other), reg)
	r, err = c.Check(ctx, fetch, tag)
	if err != nil || r.Status != Different || r.Difference == nil || r.Difference.Kind != KindLayer || r.Difference.Files[0].Path != "app/main.py" {
		t.Errorf("Check() different = %+v, %v; want layer app/main.py", r, err)
	}

	// By digest: that image is what is compared, whatever the tag says now.
	r, err = c.Check(ctx, fetch, other)
	if err != nil || r.Status != Reproducible {
		t.Errorf("Check(by digest) = %+v, %v; want reproducible", r, err)
	}

	// A 404 is a definite "not published", and nothing is built.
	rec := rebuilder(pub)
	c, _ = NewChecker(rec, reg)
	missing, _ := name.NewTag(host + "/mcp/none:latest")
	r, err = c.Check(ctx, fetch, missing)
	if err != nil || r.Status != NotPublished || len(rec.Calls()) != 0 {
		t.Errorf("Check(missing) = %+v, %v, built %v; want not-published, nothing built", r, err, rec.Calls())
	}

	// A failing build is a failed check with the builder's error.
	boom := &build.UnreachableError{Service: build.ServiceBuildKit, Addr: "tcp://127.0.0.1:1", Err: errors.New("refused")}
	c, _ = NewChecker(&build.Recorder{Fake: func(*catalog.Server) (*build.Result, error) { return nil, boom }}, reg)
	r, err = c.Check(ctx, fetch, tag)
	if !errors.Is(err, boom) || r.Status != Failed || !strings.Contains(r.Reason, "refused") {
		t.Errorf("Check(build fails) = %+v, %v; want failed", r, err)
	}
}

// A registry that cannot be reached is "could not check" (an *ocireg.Error), never
// "not published".
func TestCheckRegistryDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	tag, _ := name.NewTag(addr + "/mcp/fetch:latest")
	rec := rebuilder(tag.Context().Digest("sha256:" + strings.Repeat("0", 64)))
	c, _ := NewChecker(rec, ocireg.New(nil, nil))
	r, err := c.Check(context.Background(), fetch, tag)
	var oe *ocireg.Error
	if !errors.As(err, &oe) || errors.Is(err, ocireg.ErrNotFound) || r.Status != Failed || len(rec.Calls()) != 0 {
		t.Errorf("Check(registry down) = %+v, %v; want failed with an *ocireg.Error, nothing built", r, err)
	}
}
