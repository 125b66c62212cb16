package publish_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

// A published index one of whose platform manifests the registry answers 404 for (it
// was garbage-collected) is not published: it is rebuilt and published again, instead of
// failing forever. Any other failure reading it is "could not check": nothing is built.
func TestPublishIndexPlatformManifestMissing(t *testing.T) {
	for _, tc := range []struct {
		status  int
		builds  int
		want    publish.Status
		summary string
	}{
		{http.StatusNotFound, 1, publish.Published, "404: rebuilt"},
		{http.StatusInternalServerError, 0, publish.Failed, "500: could not check"},
		{http.StatusUnauthorized, 0, publish.Failed, "401: could not check"},
	} {
		t.Run(tc.summary, func(t *testing.T) {
			ctx := context.Background()
			var gone atomic.Value // the path answered with tc.status
			gone.Store("")
			host := signtest.Registry(t, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if g := gone.Load().(string); g != "" && r.URL.Path == g {
						w.WriteHeader(tc.status)
						return
					}
					h.ServeHTTP(w, r)
				})
			})
			tl := &signtest.TLog{}
			svc := signtest.Service(t, host, signtest.KeyA, tl)
			opts := publish.WithPlatforms([]string{"linux/amd64", "linux/arm64"})
			jobs := []publish.Job{job(t, host, "multi", pinA)}
			first := newPublisher(t, &build.Recorder{Fake: pushIndexBuild(t, host, []string{"amd64", "arm64"}, nil)}, svc, opts).Publish(ctx, jobs)[0]
			if first.Status != publish.Published {
				t.Fatalf("first publish: %+v", first)
			}
			dig, err := name.NewDigest(first.Image, name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			idx, err := remote.Index(dig)
			if err != nil {
				t.Fatal(err)
			}
			im, err := idx.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			gone.Store("/v2/" + dig.RepositoryStr() + "/manifests/" + im.Manifests[1].Digest.String())

			rec := &build.Recorder{Fake: pushIndexBuild(t, host, []string{"amd64", "arm64"}, nil)}
			r := newPublisher(t, rec, svc, opts).Publish(ctx, jobs)[0]
			if r.Status != tc.want || len(rec.Calls()) != tc.builds {
				t.Errorf("publish with platform manifest answering %d: %+v, %d builds; want %s, %d builds", tc.status, r, len(rec.Calls()), tc.want, tc.builds)
			}
			if tc.want == publish.Published && (r.Image == first.Image || tl.Count() != 4) {
				t.Errorf("rebuilt: %s (first %s), %d log entries; want a new image, signed and attested", r.Image, first.Image, tl.Count())
			}
			if tc.want == publish.Failed && !strings.Contains(r.Reason, "reading the linux/arm64 manifest") {
				t.Errorf("reason %q; want the read named", r.Reason)
			}
		})
	}
}
