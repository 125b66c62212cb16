package publish_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

func TestPublishThenUnchanged(t *testing.T) {
	ctx := context.Background()
	host := signtest.Registry(t, nil)
	tl := &signtest.TLog{}
	svc := signtest.Service(t, host, signtest.KeyA, tl)
	var progress bytes.Buffer
	rec := &build.Recorder{Fake: pushBuild(t, host)}
	p := newPublisher(t, rec, svc, publish.WithProgress(&progress), publish.WithParallelism(2))
	jobs := []publish.Job{job(t, host, "alpha", pinA), job(t, host, "beta", pinA)}

	first := p.Publish(ctx, jobs)
	for _, r := range first {
		if r.Status != publish.Published || r.SignatureLogIndex == nil || r.AttestationLogIndex == nil ||
			!strings.Contains(r.Image, "@sha256:") || !strings.HasSuffix(r.Signature, ".sig") {
			t.Errorf("first publish: %+v", r)
		}
	}
	if n := len(rec.Calls()); n != 2 || tl.Count() != 4 {
		t.Errorf("first publish: %d builds, %d log entries; want 2, 4", n, tl.Count())
	}
	if !strings.Contains(progress.String(), "alpha: building") || !strings.Contains(progress.String(), "beta: published") {
		t.Errorf("progress lines:\n%s", progress.String())
	}

	second := p.Publish(ctx, jobs)
	for i, r := range second {
		if r.Status != publish.Unchanged || r.Image != first[i].Image || *r.SignatureLogIndex != *first[i].SignatureLogIndex ||
			*r.AttestationLogIndex != *first[i].AttestationLogIndex {
			t.Errorf("second publish: %+v, first %+v", r, first[i])
		}
	}
	if n := len(rec.Calls()); n != 2 || tl.Count() != 4 {
		t.Errorf("second publish built %d times, %d log entries; want nothing new", n-2, tl.Count()-4)
	}
	if err := publish.Failures(second); err != nil {
		t.Errorf("Failures() = %v", err)
	}

	// A changed pin publishes anew.
	changed := p.Publish(ctx, []publish.Job{job(t, host, "alpha", strings.Repeat("a", 40))})
	if changed[0].Status != publish.Published || len(rec.Calls()) != 3 || changed[0].Image == first[0].Image {
		t.Errorf("changed pin: %+v, builds %d", changed[0], len(rec.Calls()))
	}
	// Back to the first pin: rebuilt and the tag pushed again, but its digest is already
	// signed and attested, so the log gets nothing new and the first entries are reported.
	entries := tl.Count()
	reuse := &build.Recorder{Fake: reuseBuild(t, host, first[0].Image)}
	back := newPublisher(t, reuse, svc).Publish(ctx, []publish.Job{job(t, host, "alpha", pinA)})
	if r := back[0]; r.Status != publish.Published || r.Image != first[0].Image || tl.Count() != entries || len(reuse.Calls()) != 1 ||
		*r.SignatureLogIndex != *first[0].SignatureLogIndex || *r.AttestationLogIndex != *first[0].AttestationLogIndex {
		t.Errorf("pin changed back: %+v (log entries %d -> %d), first %+v", r, entries, tl.Count(), first[0])
	}
}

func TestPublishFailuresAreIsolated(t *testing.T) {
	ctx := context.Background()
	host := signtest.Registry(t, nil)
	svc := signtest.Service(t, host, signtest.KeyA, &signtest.TLog{})
	boom := errors.New("dockerfile: no such stage")
	push := pushBuild(t, host)
	rec := &build.Recorder{Fake: func(s *catalog.Server) (*build.Result, error) {
		if s.Name == "broken" {
			return nil, boom
		}
		return push(s)
	}}
	rs := newPublisher(t, rec, svc).Publish(ctx, []publish.Job{job(t, host, "broken", pinA), job(t, host, "alpha", pinA)})
	if rs[0].Status != publish.Failed || !errors.Is(rs[0].Err, boom) || !strings.Contains(rs[0].Reason, "no such stage") {
		t.Errorf("failing job: %+v", rs[0])
	}
	if rs[1].Status != publish.Published {
		t.Errorf("other job: %+v", rs[1])
	}
	if err := publish.Failures(rs); !errors.Is(err, boom) {
		t.Errorf("Failures() = %v", err)
	}
}

func TestPublishNeverReportsUnpersistedSignature(t *testing.T) {
	host := signtest.Registry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/sha256-") {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(http.StatusCreated)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	svc := signtest.Service(t, host, signtest.KeyA, &signtest.TLog{})
	r := publishOne(t, &build.Recorder{Fake: pushBuild(t, host)}, svc, job(t, host, "alpha", pinA))
	if r.Status != publish.Failed || !errors.Is(r.Err, sign.ErrNotPersisted) {
		t.Errorf("publish against a registry dropping signature manifests: %+v", r)
	}
}

func TestPublishTLogDown(t *testing.T) {
	ctx := context.Background()
	host := signtest.Registry(t, nil)
	boom := errors.New("log down")
	svc := signtest.Service(t, host, signtest.KeyA, &signtest.TLog{Fail: boom})
	r := publishOne(t, &build.Recorder{Fake: pushBuild(t, host)}, svc, job(t, host, "alpha", pinA))
	if r.Status != publish.Failed || !errors.Is(r.Err, boom) || r.Signature != "" {
		t.Errorf("publish with the log down: %+v", r)
	}
	d, err := name.NewDigest(r.Image)
	if err != nil {
		t.Fatalf("report image %q: %v", r.Image, err)
	}
	if l, err := svc.Store().List(ctx, signtest.Hash(t, d), sign.SignatureSuffix); err != nil || len(l) != 0 {
		t.Errorf("signature pushed although the log was down: %d layers, %v", len(l), err)
	}
}
