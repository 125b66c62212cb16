package publish_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

// New requires a builder and a signing service, and refuses invalid or repeated options.
func TestNewRejectsMissingAndConflicting(t *testing.T) {
	svc := signtest.Service(t, "127.0.0.1:1", signtest.KeyA, nil)
	b := &build.Recorder{}
	for _, tc := range []struct {
		name    string
		b       build.Builder
		opts    []publish.Option
		wantErr string
	}{
		{"no builder", nil, nil, "no builder"},
		{"nil logger", b, []publish.Option{publish.WithLogger(nil)}, "nil logger"},
		{"nil progress", b, []publish.Option{publish.WithProgress(nil)}, "nil writer"},
		{"zero parallelism", b, []publish.Option{publish.WithParallelism(0)}, "want at least 1"},
		{"parallelism twice", b, []publish.Option{publish.WithParallelism(2), publish.WithParallelism(3)}, "WithParallelism given twice"},
		{"progress twice", b, []publish.Option{publish.WithProgress(io.Discard), publish.WithProgress(io.Discard)}, "WithProgress given twice"},
		{"valid", b, []publish.Option{publish.WithParallelism(4), publish.WithLogger(slog.New(slog.DiscardHandler)), publish.WithProgress(io.Discard)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := publish.New(tc.b, svc, tc.opts...)
			if tc.wantErr == "" {
				if err != nil || p == nil {
					t.Errorf("New() = %v, %v; want a publisher", p, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("New() error = %v, want %q", err, tc.wantErr)
			}
		})
	}
	if _, err := publish.New(b, nil); err == nil || !strings.Contains(err.Error(), "no signing service") {
		t.Errorf("New without a service: %v", err)
	}
}

// NewJob's tag is catalog.Server.ImageRef's, as build.Plan's: the catalog image in the
// registry, tagged (latest by default); insecure reads it over plain HTTP.
func TestNewJob(t *testing.T) {
	s := server("alpha", pinA)
	for _, tc := range []struct {
		registry, tag string
		insecure      bool
		want          string
		scheme        string
	}{
		{"registry.example.com", "", false, "registry.example.com/mcp/alpha:latest", "https"},
		{"registry.example.com", "v1", true, "registry.example.com/mcp/alpha:v1", "http"},
		{"127.0.0.1:5000", "", false, "127.0.0.1:5000/mcp/alpha:latest", "http"},
	} {
		j, err := publish.NewJob(s, catalog.Destination{Registry: tc.registry}, []string{tc.tag}, tc.insecure)
		if err != nil {
			t.Fatalf("NewJob(%s, %q) = %v", tc.registry, tc.tag, err)
		}
		if j.Server != s || j.Image.String() != tc.want || j.Image.Scheme() != tc.scheme {
			t.Errorf("NewJob(%s, %q, %v) = %v (%s), want %s (%s)", tc.registry, tc.tag, tc.insecure, j.Image, j.Image.Scheme(), tc.want, tc.scheme)
		}
		want, err := s.ImageRef(catalog.Destination{Registry: tc.registry}, tc.tag)
		if err != nil || want.String() != j.Image.String() {
			t.Errorf("ImageRef = %v, %v; NewJob = %v", want, err, j.Image)
		}
		so, err := build.Plan(s, build.PlanOptions{Registry: tc.registry, Tag: tc.tag})
		if err != nil || so.Exports[0].Attrs["name"] != tc.want {
			t.Errorf("build.Plan pushes to %v (%v), NewJob to %v", so.Exports[0].Attrs["name"], err, j.Image)
		}
	}
	if _, err := publish.NewJob(s, catalog.Destination{}, nil, false); err == nil {
		t.Error("NewJob without a registry succeeded")
	}
}

// A build whose result names another image than the job's tag, or carries no
// provenance, fails that server, naming it, before anything is read back or signed.
func TestPublishRefusesBuildOfAnotherImage(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, host string, r *build.Result)
		want string
	}{
		{"other tag", func(t *testing.T, host string, r *build.Result) {
			r.Tag = tagOf(t, host, server("alpha-other", pinA))
		}, "build of server alpha pushed"},
		{"other tag name", func(_ *testing.T, _ string, r *build.Result) {
			r.Tag = r.Tag.Context().Tag("v2")
		}, "build of server alpha pushed"},
		{"digest in another repository", func(t *testing.T, host string, r *build.Result) {
			r.Image = tagOf(t, host, server("beta", pinA)).Context().Digest(r.Image.DigestStr())
		}, "build of server alpha pushed"},
		{"no tag", func(_ *testing.T, _ string, r *build.Result) { r.Tag = name.Tag{} }, "build of server alpha pushed"},
		{"no provenance", func(_ *testing.T, _ string, r *build.Result) { r.Provenance = nil }, "build of server alpha returned no provenance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := hostile.NewRegistry()
			host := s.Start(t)
			tl := &signtest.TLog{}
			svc := signtest.Service(t, host, signtest.KeyA, tl)
			push := pushBuild(t, host)
			rec := &build.Recorder{Fake: func(srv *catalog.Server) (*build.Result, error) {
				r, err := push(srv)
				if err == nil {
					tc.edit(t, host, r)
				}
				return r, err
			}}
			var progress bytes.Buffer
			r := newPublisher(t, rec, svc, publish.WithProgress(&progress)).Publish(t.Context(), []publish.Job{job(t, host, "alpha", pinA)})[0]
			if r.Status != publish.Failed || !strings.Contains(r.Reason, tc.want) || r.Image != "" || r.Signature != "" {
				t.Errorf("report %+v; want failed: %s", r, tc.want)
			}
			if n := s.Count(http.MethodGet, imageDigPath); n != 0 {
				t.Errorf("%d reads of the image by digest; want none (not confirmed)", n)
			}
			if tl.Count() != 0 || s.Count(http.MethodPut, sigPath) != 0 {
				t.Errorf("%d log entries, %d .sig PUTs; want nothing signed", tl.Count(), s.Count(http.MethodPut, sigPath))
			}
			if !strings.Contains(progress.String(), "alpha: failed: "+tc.want) {
				t.Errorf("progress:\n%s", progress.String())
			}
		})
	}
}

// The image the build pushed must carry the pin as its revision label (verify's check):
// a build of another commit fails the server before it is signed.
func TestPublishRefusesImageOfAnotherPin(t *testing.T) {
	host := signtest.Registry(t, nil)
	tl := &signtest.TLog{}
	svc := signtest.Service(t, host, signtest.KeyA, tl)
	other := strings.Repeat("b", 40)
	push := pushBuild(t, host)
	rec := &build.Recorder{Fake: func(s *catalog.Server) (*build.Result, error) { return push(server(s.Name, other)) }}
	r := publishOne(t, rec, svc, job(t, host, "alpha", pinA))
	if r.Status != publish.Failed || !strings.Contains(r.Reason, `pin is "`+pinA+`"`) || !strings.Contains(r.Reason, other) {
		t.Errorf("report %+v; want failed naming the label and the pin", r)
	}
	if r.Image != "" || r.Signature != "" || tl.Count() != 0 {
		t.Errorf("report %+v, %d log entries; want nothing signed", r, tl.Count())
	}
}
