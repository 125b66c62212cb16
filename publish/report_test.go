package publish_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

// The JSON of a Report is `mcpbuild publish --output json`'s contract: field names,
// order and omissions.
func TestReportJSON(t *testing.T) {
	i, j := int64(7), int64(8)
	for _, tc := range []struct {
		r    publish.Report
		want string
	}{
		{publish.Report{Name: "alpha", Image: "r/mcp/alpha@sha256:00", Commit: "c", Signature: "r/s:sha256-00.sig",
			Attestation: "r/s:sha256-00.att", SignatureLogIndex: &i, AttestationLogIndex: &j, Status: publish.Published},
			`{"name":"alpha","image":"r/mcp/alpha@sha256:00","commit":"c","signature":"r/s:sha256-00.sig","attestation":"r/s:sha256-00.att","signatureLogIndex":7,"attestationLogIndex":8,"status":"published"}`},
		{publish.Report{Name: "beta", Commit: "c", Status: publish.Failed, Reason: "boom", Err: errors.New("boom")},
			`{"name":"beta","commit":"c","status":"failed","reason":"boom"}`},
		{publish.Report{Name: "delta", Image: "r/mcp/delta@sha256:00", Commit: "c", Builder: "tcp://bk1:1234", Status: publish.Published},
			`{"name":"delta","image":"r/mcp/delta@sha256:00","commit":"c","builder":"tcp://bk1:1234","status":"published"}`},
		{publish.Report{Name: "gamma", Status: publish.Unchanged}, `{"name":"gamma","commit":"","status":"unchanged"}`},
	} {
		got, err := json.Marshal(tc.r)
		if err != nil || string(got) != tc.want {
			t.Errorf("json.Marshal(%+v) = %s, %v; want %s", tc.r, got, err, tc.want)
		}
	}
}

// A report names the daemon of a fleet that built the server, or that its build failed on.
func TestReportBuilder(t *testing.T) {
	host := signtest.Registry(t, nil)
	svc := signtest.Service(t, host, signtest.KeyA, &signtest.TLog{})
	push := pushBuild(t, host)
	boom := errors.New("dockerfile parse error")
	fleet, err := build.NewFleet([]build.Daemon{{Name: "tcp://bk1:1234", Builder: &build.Recorder{Fake: func(s *catalog.Server) (*build.Result, error) {
		if s.Name == "beta" {
			return nil, boom
		}
		return push(s)
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	p := newPublisher(t, fleet, svc)
	rs := p.Publish(context.Background(), []publish.Job{job(t, host, "alpha", pinA), job(t, host, "beta", pinA)})
	if len(rs) != 2 || rs[0].Status != publish.Published || rs[0].Builder != "tcp://bk1:1234" {
		t.Errorf("alpha: %+v, want published on tcp://bk1:1234", rs[0])
	}
	if len(rs) == 2 && (rs[1].Status != publish.Failed || !errors.Is(rs[1].Err, boom) || rs[1].Builder != "tcp://bk1:1234") {
		t.Errorf("beta: %+v, want failed on tcp://bk1:1234", rs[1])
	}
}
