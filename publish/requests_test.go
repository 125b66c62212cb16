package publish_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

// byKind sums the requests of entries by "METHOD kind": ping (/v2/), image or sig (a
// manifest of a server's repository or of a .sig/.att tag), blob, upload.
func byKind(entries []hostile.Entry) map[string]int {
	out := map[string]int{}
	for _, e := range entries {
		kind := "ping"
		switch {
		case strings.Contains(e.Path, "/manifests/sha256-"):
			kind = "sig"
		case strings.Contains(e.Path, "/manifests/"):
			kind = "image"
		case strings.Contains(e.Path, "/blobs/uploads/"):
			kind = "upload"
		case strings.Contains(e.Path, "/blobs/"):
			kind = "blob"
		}
		out[e.Method+" "+kind]++
	}
	return out
}

func kinds(m map[string]int) string {
	var out []string
	for k, n := range m {
		out = append(out, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// The registry requests publish makes (the build's push aside), pinned so that they cannot
// grow unnoticed. A first publish of a server: the check (the tag: 404), the confirmation
// (the image by digest, its config, the tag) and sign's 12 requests for each of the
// signature and the attestation (sign.TestFirstSignatureRequests says which), once the
// run's pings and the empty signatures config are paid. A re-publish: three GETs (the
// tag, then the .sig and .att tags).
func TestPublishRequests(t *testing.T) {
	ctx := context.Background()
	s := hostile.NewRegistry()
	host := s.Start(t)
	svc := signtest.Service(t, host, signtest.KeyA, &signtest.TLog{})
	var skip [][2]int // the log ranges of the fake builds' pushes
	push := pushBuild(t, host)
	rec := &build.Recorder{Fake: func(sv *catalog.Server) (*build.Result, error) {
		from := len(s.Log())
		defer func() { skip = append(skip, [2]int{from, len(s.Log())}) }()
		return push(sv)
	}}
	p := newPublisher(t, rec, svc) // one server at a time: the build's requests are its own
	mine := func(from int) []hostile.Entry {
		var out []hostile.Entry
		for i, e := range s.Log()[from:] {
			built := false
			for _, r := range skip {
				built = built || (from+i >= r[0] && from+i < r[1])
			}
			if !built {
				out = append(out, e)
			}
		}
		return out
	}
	publishAll := func(names ...string) []hostile.Entry {
		from := len(s.Log())
		var jobs []publish.Job
		for _, n := range names {
			jobs = append(jobs, job(t, host, n, pinA))
		}
		for _, r := range p.Publish(ctx, jobs) {
			if r.Status == publish.Failed {
				t.Fatalf("report %+v", r)
			}
		}
		return mine(from)
	}

	publishAll("warm")
	first := publishAll("alpha", "beta")
	perServer := map[string]int{"GET image": 3, "GET blob": 1, // check, confirmation
		"GET sig": 12, "POST upload": 4, "PUT upload": 4, "PUT sig": 4}
	want := map[string]int{}
	for k, n := range perServer {
		want[k] = 2 * n
	}
	if got := byKind(first); kinds(got) != kinds(want) {
		t.Errorf("first publish of 2 servers: %s (%d requests); want %s (2 x 28)", kinds(got), len(first), kinds(want))
	}
	again := publishAll("alpha", "beta")
	if got := byKind(again); kinds(got) != kinds(map[string]int{"GET image": 2, "GET sig": 4}) {
		t.Errorf("re-publish of 2 servers: %s; want 3 GETs each (tag, .sig, .att)", kinds(got))
	}
}
