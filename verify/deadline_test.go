package verify_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// A Verifier built without WithTransport (a gateway using the library) still gives every
// request a deadline: a registry that never answers the .sig read makes the verification
// indeterminate within about the request timeout, naming the request, not a hang.
func TestDefaultTransportHasADeadline(t *testing.T) {
	for name, action := range map[string]hostile.Action{"no answer": hostile.Hang(), "stalled body": hostile.HangBody()} {
		t.Run(name, func(t *testing.T) {
			f := verifytest.New(t)
			img := f.PushImage(f.Repo("mcp/deadline"), "v1", verifytest.PinCommit)
			f.Sign(img)
			f.Hostile.On(http.MethodGet, `\.sig$`, action)
			v, _ := newVerifier(f, verify.WithRequestTimeout(time.Second))
			start := time.Now()
			vd, err := v.Verify(ctxT(t), img, policy())
			if took := time.Since(start); took > 8*time.Second {
				t.Fatalf("Verify took %v with a 1s request timeout", took)
			}
			if !verify.IsIndeterminate(err) || vd == nil || vd.Verified {
				t.Fatalf("Verify() = %+v, %v; want indeterminate", vd, err)
			}
			c := vd.Check(verify.CheckSignature)
			if c.Status != verify.StatusError || !strings.Contains(c.Detail, ".sig") || !strings.Contains(c.Detail, "timed out") {
				t.Fatalf("signature check = %+v; want an error naming the .sig request and the timeout", c)
			}
		})
	}
}

func TestRequestTimeoutConflictsWithTransport(t *testing.T) {
	f := verifytest.New(t)
	_, err := verify.New(&f.Key.PublicKey, verify.WithoutTLogUnsafe(), verify.WithTransport(http.DefaultTransport), verify.WithRequestTimeout(time.Second))
	if err == nil || !strings.Contains(err.Error(), "conflicting") {
		t.Fatalf("New(WithTransport, WithRequestTimeout) error = %v, want a conflict", err)
	}
	if _, err := verify.New(&f.Key.PublicKey, verify.WithoutTLogUnsafe(), verify.WithRequestTimeout(0)); err == nil {
		t.Fatal("WithRequestTimeout(0) accepted")
	}
}
