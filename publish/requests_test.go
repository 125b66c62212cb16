package publish_test

import (
	"context"
	"testing"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

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
	perServer := map[string]int{"GET manifest": 3, "GET blob": 1, // check, confirmation
		"GET sig": 12, "POST upload": 4, "PUT upload": 4, "PUT sig": 4}
	want := hostile.Tally{}
	for k, n := range perServer {
		want[k] = 2 * n
	}
	if got := hostile.TallyOf(first); got.String() != want.String() {
		t.Errorf("first publish of 2 servers: %s (%d requests); want %s (2 x 28)", got, len(first), want)
	}
	again := publishAll("alpha", "beta")
	if got := hostile.TallyOf(again); got.String() != (hostile.Tally{"GET manifest": 2, "GET sig": 4}).String() {
		t.Errorf("re-publish of 2 servers: %s; want 3 GETs each (tag, .sig, .att)", got)
	}
}
