package sign_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/mcpbuild/mcpbuild/sign"
)

const pinA = "0123456789abcdef0123456789abcdef01234567"

// job returns a Job whose Build pushes a random image labelled with commit to
// host/mcp/<server>:latest, counting builds.
func job(t *testing.T, host, server, commit string, builds *atomic.Int32) sign.Job {
	t.Helper()
	tag, err := name.NewTag(host + "/mcp/" + server + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	return sign.Job{
		Name: server, Image: tag, Commit: commit, Source: "https://example.com/" + server + ".git",
		Build: func(ctx context.Context) (*sign.Built, error) {
			builds.Add(1)
			img, err := random.Image(32, 1)
			if err != nil {
				return nil, err
			}
			cf, _ := img.ConfigFile()
			cf.Config.Labels = map[string]string{sign.RevisionClaim: commit}
			if img, err = mutate.ConfigFile(img, cf); err != nil {
				return nil, err
			}
			if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
				return nil, err
			}
			d, _ := img.Digest()
			dig := tag.Context().Digest(d.String())
			return &sign.Built{Image: dig, Provenance: statementFor(dig)}, nil
		},
	}
}

func TestPublishThenUnchanged(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	tl := &fakeTLog{}
	svc := newService(t, host, keyA, tl)
	var progress bytes.Buffer
	p := sign.NewPublisher(svc, sign.WithProgress(&progress))
	var builds atomic.Int32
	jobs := []sign.Job{job(t, host, "alpha", pinA, &builds), job(t, host, "beta", pinA, &builds)}

	first := p.Publish(ctx, jobs, 2)
	for _, r := range first {
		if r.Status != sign.Published || r.SignatureLogIndex == nil || r.AttestationLogIndex == nil ||
			!strings.Contains(r.Image, "@sha256:") || !strings.HasSuffix(r.Signature, ".sig") {
			t.Errorf("first publish: %+v", r)
		}
	}
	if builds.Load() != 2 || tl.count() != 4 {
		t.Errorf("first publish: %d builds, %d log entries; want 2, 4", builds.Load(), tl.count())
	}
	if !strings.Contains(progress.String(), "alpha: building") || !strings.Contains(progress.String(), "beta: published") {
		t.Errorf("progress lines:\n%s", progress.String())
	}

	second := p.Publish(ctx, jobs, 2)
	for i, r := range second {
		if r.Status != sign.Unchanged || r.Image != first[i].Image || *r.SignatureLogIndex != *first[i].SignatureLogIndex ||
			*r.AttestationLogIndex != *first[i].AttestationLogIndex {
			t.Errorf("second publish: %+v, first %+v", r, first[i])
		}
	}
	if builds.Load() != 2 || tl.count() != 4 {
		t.Errorf("second publish built %d times, %d log entries; want nothing new", builds.Load()-2, tl.count()-4)
	}
	if err := sign.Failures(second); err != nil {
		t.Errorf("Failures() = %v", err)
	}

	// A changed pin publishes anew.
	changed := p.Publish(ctx, []sign.Job{job(t, host, "alpha", strings.Repeat("a", 40), &builds)}, 1)
	if changed[0].Status != sign.Published || builds.Load() != 3 || changed[0].Image == first[0].Image {
		t.Errorf("changed pin: %+v, builds %d", changed[0], builds.Load())
	}
	// Back to the first pin: rebuilt and the tag pushed again, but its digest is already
	// signed and attested, so the log gets nothing new and the first entries are reported.
	entries := tl.count()
	back := p.Publish(ctx, []sign.Job{reuse(job(t, host, "alpha", pinA, &builds), first[0].Image)}, 1)
	if r := back[0]; r.Status != sign.Published || r.Image != first[0].Image || tl.count() != entries ||
		*r.SignatureLogIndex != *first[0].SignatureLogIndex || *r.AttestationLogIndex != *first[0].AttestationLogIndex {
		t.Errorf("pin changed back: %+v (log entries %d -> %d), first %+v", r, entries, tl.count(), first[0])
	}
}

// reuse makes j's Build push the existing image ref (by digest) to j's tag again, as a
// reproducible rebuild of an earlier pin does.
func reuse(j sign.Job, ref string) sign.Job {
	j.Build = func(ctx context.Context) (*sign.Built, error) {
		d, err := name.NewDigest(ref)
		if err != nil {
			return nil, err
		}
		img, err := remote.Image(d, remote.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		if err := remote.Write(j.Image, img, remote.WithContext(ctx)); err != nil {
			return nil, err
		}
		return &sign.Built{Image: d, Provenance: statementFor(d)}, nil
	}
	return j
}

func TestPublishFailuresAreIsolated(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	svc := newService(t, host, keyA, &fakeTLog{})
	var builds atomic.Int32
	bad := job(t, host, "broken", pinA, &builds)
	boom := errors.New("dockerfile: no such stage")
	bad.Build = func(context.Context) (*sign.Built, error) { return nil, boom }
	rs := sign.NewPublisher(svc).Publish(ctx, []sign.Job{bad, job(t, host, "alpha", pinA, &builds)}, 1)
	if rs[0].Status != sign.Failed || !errors.Is(rs[0].Err, boom) || !strings.Contains(rs[0].Reason, "no such stage") {
		t.Errorf("failing job: %+v", rs[0])
	}
	if rs[1].Status != sign.Published {
		t.Errorf("other job: %+v", rs[1])
	}
	if err := sign.Failures(rs); !errors.Is(err, boom) {
		t.Errorf("Failures() = %v", err)
	}
}

func TestPublishNeverReportsUnpersistedSignature(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/sha256-") {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(http.StatusCreated)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	svc := newService(t, host, keyA, &fakeTLog{})
	var builds atomic.Int32
	rs := sign.NewPublisher(svc).Publish(ctx, []sign.Job{job(t, host, "alpha", pinA, &builds)}, 1)
	if rs[0].Status != sign.Failed || !errors.Is(rs[0].Err, sign.ErrNotPersisted) {
		t.Errorf("publish against a registry dropping signature manifests: %+v", rs[0])
	}
}

func TestPublishTLogDown(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	boom := errors.New("log down")
	svc := newService(t, host, keyA, &fakeTLog{fail: boom})
	var builds atomic.Int32
	rs := sign.NewPublisher(svc).Publish(ctx, []sign.Job{job(t, host, "alpha", pinA, &builds)}, 1)
	if rs[0].Status != sign.Failed || !errors.Is(rs[0].Err, boom) || rs[0].Signature != "" {
		t.Errorf("publish with the log down: %+v", rs[0])
	}
	d, _ := name.NewDigest(strings.SplitN(rs[0].Image, "@", 2)[0] + "@" + strings.SplitN(rs[0].Image, "@", 2)[1])
	if l, err := svc.Store().List(ctx, mustHash(t, d), sign.SignatureSuffix); err != nil || len(l) != 0 {
		t.Errorf("signature pushed although the log was down: %d layers, %v", len(l), err)
	}
}
