package build

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const (
	dgstA = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	dgstB = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
)

func TestParseBaseImages(t *testing.T) {
	tests := []struct {
		in       string
		name     string // the named context key BuildKit looks up
		ref      string
		isPinned bool
	}{
		{"example.invalid/base:1=127.0.0.1:15000/base@" + dgstA, "example.invalid/base:1", "127.0.0.1:15000/base@" + dgstA, true},
		// Docker Hub names are keyed in their familiar form, as FROM lines are.
		{"docker.io/library/alpine:3.20=mirror.internal/alpine:3.20", "alpine:3.20", "mirror.internal/alpine:3.20", false},
		{"alpine:3.20=mirror.internal/alpine:3.20", "alpine:3.20", "mirror.internal/alpine:3.20", false},
		{"index.docker.io/library/alpine=alpine:3.20", "alpine", "docker.io/library/alpine:3.20", false},
		{"alpine:latest=mirror.internal/alpine", "alpine", "mirror.internal/alpine:latest", false},
		{"docker.io/acme/tool:2=m.internal/acme/tool:2@" + dgstB, "acme/tool:2", "m.internal/acme/tool:2@" + dgstB, true},
		// A FROM pinned by digest is matched by that digest.
		{"alpine@" + dgstA + "=m.internal/alpine@" + dgstA, "alpine@" + dgstA, "m.internal/alpine@" + dgstA, true},
		{"example.invalid/base:1@" + dgstA + "=m.internal/base@" + dgstB, "example.invalid/base:1@" + dgstA, "m.internal/base@" + dgstB, true},
	}
	for _, tc := range tests {
		got, err := ParseBaseImages([]string{tc.in})
		if err != nil {
			t.Errorf("ParseBaseImages(%q) = %v", tc.in, err)
			continue
		}
		if len(got) != 1 || got[0].Name != tc.name || got[0].Ref != tc.ref || got[0].Pinned() != tc.isPinned {
			t.Errorf("ParseBaseImages(%q) = %+v (pinned %v), want {%s %s} pinned %v", tc.in, got, len(got) == 1 && got[0].Pinned(), tc.name, tc.ref, tc.isPinned)
		}
	}
	if got, err := ParseBaseImages(nil); got != nil || err != nil {
		t.Errorf("ParseBaseImages(nil) = %v, %v; want nil, nil", got, err)
	}
}

func TestParseBaseImagesRefuses(t *testing.T) {
	many := make([]string, MaxBaseImages+1)
	for i := range many {
		many[i] = fmt.Sprintf("b%d:1=m.internal/b:1", i)
	}
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"alpine:3.20"}, "want NAME=REF"},
		{[]string{"=m.internal/alpine:3.20"}, "both non-empty"},
		{[]string{"alpine:3.20="}, "both non-empty"},
		{[]string{" =x"}, "both non-empty"},
		{[]string{"Alpine:3.20=m.internal/alpine:3.20"}, `NAME "Alpine:3.20" is not an image reference`},
		{[]string{"alpine:3.20=m.internal/Alpine:3.20"}, `REF "m.internal/Alpine:3.20" is not an image reference`},
		{[]string{"alpine:3.20=m.internal/alpine@sha256:abc"}, "is not an image reference"},
		{[]string{"alpine:3.20=m.internal/alpine:3.20=x"}, "is not an image reference"},
		{[]string{"alpine:3.20=http://m.internal/alpine"}, "is not an image reference"},
		{[]string{"scratch=m.internal/empty:1"}, `never overrides "scratch"`},
		{[]string{"context=m.internal/ctx:1"}, `never overrides "context"`},
		{[]string{"alpine=m.internal/a:1", "docker.io/library/alpine:latest=m.internal/b:1"}, `"alpine" is overridden twice`},
		{[]string{"alpine:3.20=m.internal/a:1", "alpine:3.20=m.internal/a:1"}, "overridden twice"},
		{many, "at most"},
	} {
		got, err := ParseBaseImages(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseBaseImages(%q) = %v, %v; want an error containing %q", tc.in, got, err, tc.want)
		}
	}
}

// TestPlanBaseImages: each override is one named context, keyed as the frontend looks
// FROM images up, next to the git context; bad overrides fail the plan.
func TestPlanBaseImages(t *testing.T) {
	s := srv("pinned", "git://127.0.0.1:19418/mcp-pinned.git", pinA, nil)
	bs := []BaseImage{
		{Name: "docker.io/library/alpine:3.20", Ref: "m.internal/alpine@" + dgstA},
		{Name: "example.invalid/base@" + dgstA, Ref: "127.0.0.1:15000/base:1"},
	}
	so, err := Plan(s, PlanOptions{Registry: "127.0.0.1:15000", BaseImages: bs, Platforms: []string{"linux/amd64", "linux/arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"context:alpine:3.20":                   "docker-image://m.internal/alpine@" + dgstA,
		"context:example.invalid/base@" + dgstA: "docker-image://127.0.0.1:15000/base:1",
		"context":                               "git://127.0.0.1:19418/mcp-pinned.git#" + pinA,
	}
	for k, v := range want {
		if got := so.FrontendAttrs[k]; got != v {
			t.Errorf("FrontendAttrs[%q] = %q, want %q", k, got, v)
		}
	}
	n := 0
	for k := range so.FrontendAttrs {
		if strings.HasPrefix(k, namedContextPrefix) {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d named contexts in %v, want 2", n, so.FrontendAttrs)
	}
	// Without overrides, no named context at all.
	so, err = Plan(s, PlanOptions{Registry: "127.0.0.1:15000"})
	if err != nil {
		t.Fatal(err)
	}
	for k := range so.FrontendAttrs {
		if strings.HasPrefix(k, namedContextPrefix) {
			t.Errorf("plan without base images has %s", k)
		}
	}
	for _, bad := range [][]BaseImage{
		{{Name: "alpine", Ref: ""}},
		{{Name: "alpine", Ref: "m.internal/a:1"}, {Name: "alpine:latest", Ref: "m.internal/b:1"}},
		{{Name: "scratch", Ref: "m.internal/a:1"}},
	} {
		if _, err := Plan(s, PlanOptions{Registry: "127.0.0.1:15000", BaseImages: bad}); err == nil || !strings.Contains(err.Error(), "server pinned") {
			t.Errorf("Plan(BaseImages %v) = %v, want an error naming the server", bad, err)
		}
	}
}

// TestClassifyUnresolvedBaseImage: a FROM image whose registry cannot be reached is that
// registry unreachable (exit 3), named by its host, not the registry pushed to; an image
// that is missing from a reachable registry is a failed build.
func TestClassifyUnresolvedBaseImage(t *testing.T) {
	const push = "127.0.0.1:15000"
	for _, tc := range []struct {
		msg  string
		addr string // "" = not an UnreachableError
	}{
		{`failed to solve: example.invalid/base:1: failed to resolve source metadata for example.invalid/base:1: failed to do request: Head "https://example.invalid/v2/base/manifests/1": dial tcp: lookup example.invalid on 10.0.0.53:53: no such host`, "example.invalid"},
		{`failed to solve: alpine:3.20: failed to resolve source metadata for docker.io/library/alpine:3.20: failed to do request: Head "https://registry-1.docker.io/v2/library/alpine/manifests/3.20": dial tcp: i/o timeout`, "docker.io"},
		{`failed to solve: failed to resolve source metadata for mirror.internal:5000/base@` + dgstA + `: failed to do request: dial tcp 10.1.2.3:5000: connect: connection refused`, "mirror.internal:5000"},
		{`failed to solve: failed to resolve source metadata for 127.0.0.1:15000/nope:1: 127.0.0.1:15000/nope:1: not found`, ""},
	} {
		err := classify(errors.New(tc.msg), "s", "git://h/r.git", pinA, "git://h/r.git#"+pinA, push, "unix:///bk.sock")
		var ue *UnreachableError
		switch {
		case tc.addr == "" && errors.As(err, &ue):
			t.Errorf("classify(%q) = %v, want a failed build", tc.msg, err)
		case tc.addr != "" && (!errors.As(err, &ue) || ue.Service != ServiceRegistry || ue.Addr != tc.addr):
			t.Errorf("classify(%q) = %#v, want registry %s unreachable", tc.msg, err, tc.addr)
		}
	}
}
