package publish_test

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

// NewJob under a prefix with several tags: the first is Image, the others ExtraTags, all
// where build.Plan pushes them (one exporter name list); a tag twice or a bad one fails.
func TestNewJobPrefixTags(t *testing.T) {
	s := server("alpha", pinA)
	s.Image = "ghcr.io/mcp/alpha:0.1"
	dst := catalog.Destination{Prefix: "127.0.0.1:5000/team"}
	j, err := publish.NewJob(s, dst, []string{"v1", "stable"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if j.Image.String() != "127.0.0.1:5000/team/mcp/alpha:v1" || len(j.ExtraTags) != 1 || j.ExtraTags[0].String() != "127.0.0.1:5000/team/mcp/alpha:stable" {
		t.Errorf("NewJob = %v %v", j.Image, j.ExtraTags)
	}
	so, err := build.Plan(s, build.PlanOptions{Prefix: dst.Prefix, Tag: "v1", ExtraTags: []string{"stable"}})
	if err != nil || so.Exports[0].Attrs["name"] != "127.0.0.1:5000/team/mcp/alpha:v1,127.0.0.1:5000/team/mcp/alpha:stable" {
		t.Errorf("build.Plan name = %q, %v", so.Exports[0].Attrs["name"], err)
	}
	for _, bad := range []struct {
		dst  catalog.Destination
		tags []string
		want string
	}{
		{dst, []string{"v1", "v1"}, `tag "v1" given twice`},
		{dst, []string{"v1", "a b"}, `tag "a b"`},
		{catalog.Destination{Registry: "r.io", Prefix: "r.io/x"}, nil, "exclude each other"},
		{catalog.Destination{Prefix: "team/x"}, nil, "registry host"},
	} {
		if _, err := publish.NewJob(s, bad.dst, bad.tags, false); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("NewJob(%+v, %q) = %v; want an error containing %q", bad.dst, bad.tags, err, bad.want)
		}
		if _, err := build.Plan(s, build.PlanOptions{Registry: bad.dst.Registry, Prefix: bad.dst.Prefix, Tag: first(bad.tags), ExtraTags: rest(bad.tags)}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("build.Plan(%+v, %q) = %v; want an error containing %q", bad.dst, bad.tags, err, bad.want)
		}
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func rest(s []string) []string {
	if len(s) < 2 {
		return nil
	}
	return s[1:]
}

// Every tag of a job holds the digest: published with both, unchanged while both do, and
// rebuilt (the reproducible build pushes the same digest: no new signature) when an extra
// tag is missing; a build that did not push the extra tags fails before signing.
func TestPublishExtraTags(t *testing.T) {
	host := signtest.Registry(t, nil)
	tl := &signtest.TLog{}
	svc := signtest.Service(t, host, signtest.KeyA, tl)
	j, err := publish.NewJob(server("alpha", pinA), catalog.Destination{Registry: host}, []string{"latest", "v1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	// A build pushing the primary tag, then (like BuildKit's exporter) every extra tag.
	withTags := func(push func(*catalog.Server) (*build.Result, error), extra bool) func(*catalog.Server) (*build.Result, error) {
		return func(s *catalog.Server) (*build.Result, error) {
			r, err := push(s)
			if err != nil || !extra {
				return r, err
			}
			img, err := remote.Image(r.Image)
			if err != nil {
				return nil, err
			}
			for _, t := range j.ExtraTags {
				if err := remote.Write(t, img); err != nil {
					return nil, err
				}
			}
			r.ExtraTags = j.ExtraTags
			return r, nil
		}
	}
	rec := &build.Recorder{Fake: withTags(pushBuild(t, host), true)}
	first := publishOne(t, rec, svc, j)
	if first.Status != publish.Published {
		t.Fatalf("first publish: %+v", first)
	}
	for _, tag := range append([]name.Tag{j.Image}, j.ExtraTags...) {
		d, err := remote.Head(tag)
		if err != nil || !strings.HasSuffix(first.Image, "@"+d.Digest.String()) {
			t.Errorf("%s = %v, %v; want %s", tag, d, err, first.Image)
		}
	}
	if r := publishOne(t, rec, svc, j); r.Status != publish.Unchanged || len(rec.Calls()) != 1 {
		t.Errorf("second publish: %+v after %d builds; want unchanged, 1", r, len(rec.Calls()))
	}
	if err := remote.Delete(j.ExtraTags[0]); err != nil {
		t.Fatal(err)
	}
	entries := tl.Count()
	reuse := &build.Recorder{Fake: withTags(reuseBuild(t, host, first.Image), true)}
	if r := publishOne(t, reuse, svc, j); r.Status != publish.Published || r.Image != first.Image || len(reuse.Calls()) != 1 || tl.Count() != entries {
		t.Errorf("extra tag missing: %+v, %d builds, log entries %d -> %d; want published again, same digest, no new entry", r, len(reuse.Calls()), entries, tl.Count())
	}
	if _, err := remote.Head(j.ExtraTags[0]); err != nil {
		t.Errorf("extra tag not pushed again: %v", err)
	}
	if err := remote.Delete(j.ExtraTags[0]); err != nil {
		t.Fatal(err)
	}
	noExtra := &build.Recorder{Fake: withTags(reuseBuild(t, host, first.Image), false)}
	if r := publishOne(t, noExtra, svc, j); r.Status != publish.Failed || !strings.Contains(r.Reason, "pushed the tags") {
		t.Errorf("build without the extra tags: %+v; want failed naming the tags", r)
	}
}
