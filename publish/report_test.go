package publish_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/mcpbuild/mcpbuild/publish"
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
