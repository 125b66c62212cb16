package verify_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// Verify returns a Verdict on every path, with the error type saying how far it is
// decided: an *InputError (nothing read, neither verified nor indeterminate) or an
// *Indeterminate whose Check starts the Verdict's Reason.
func TestVerifyAlwaysReturnsAVerdict(t *testing.T) {
	f := verifytest.New(t)
	img := f.PushImage(f.Repo("mcp/contract"), "v1", verifytest.PinCommit)
	f.Sign(img)
	sha384, err := name.NewDigest(img.Context().Name() + "@sha384:" + strings.Repeat("ab", 48))
	if err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	why := errors.New("the gateway gave up")
	caused, cancel := context.WithDeadlineCause(context.Background(), time.Now().Add(-time.Second), why)
	defer cancel()
	down := verifytest.New(t)
	down.Server.Close() // connection refused

	badMirror := policy()
	badMirror.SourceMirrors = catalog.Mirrors{{From: "https://github.com/"}}
	badCommit := policy()
	badCommit.Pin.Commit = "main"

	for _, c := range []struct {
		name   string
		ctx    context.Context
		v      *verify.Verifier
		ref    name.Reference
		p      verify.Policy
		input  bool   // *InputError, else *Indeterminate
		check  string // Indeterminate.Check
		reason string // prefix of Verdict.Reason
		is     error  // errors.Is(err, is) when set
	}{
		{name: "nil reference", ref: nil, p: policy(), input: true, reason: "reference: no image reference"},
		{name: "pin not a commit", ref: img, p: badCommit, input: true, reason: `policy: policy pin commit "main"`},
		{name: "mirror without To", ref: img, p: badMirror, input: true, reason: "policy: source mirror"},
		{name: "sha384 digest", ref: sha384, p: policy(), input: true, reason: "reference: parsing digest of "},
		{name: "canceled before", ctx: canceled, ref: img, p: policy(), check: verify.IndeterminateCanceled,
			reason: "canceled: context canceled", is: context.Canceled},
		{name: "deadline passed before", ctx: expired, ref: img, p: policy(), check: verify.IndeterminateTimeout,
			reason: "timeout: context deadline exceeded", is: context.DeadlineExceeded},
		{name: "deadline cause", ctx: caused, ref: img, p: policy(), check: verify.IndeterminateTimeout,
			reason: "timeout: the gateway gave up", is: why},
		{name: "registry down", v: mustVerifier(down), ref: down.Repo("mcp/contract").Tag("v1"), p: policy(),
			check: verify.CheckDigest, reason: "digest: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, v := c.ctx, c.v
			if ctx == nil {
				ctx = ctxT(t)
			}
			if v == nil {
				v = mustVerifier(f)
			}
			vd, err := v.Verify(ctx, c.ref, c.p)
			if vd == nil {
				t.Fatalf("Verify() = nil verdict, %v", err)
			}
			if vd.MediaType != verify.MediaType || vd.Pin != c.p.Pin || len(vd.Checks) != 6 {
				t.Errorf("verdict %+v: want the media type, the pin and all six checks", vd)
			}
			if vd.Verified || !strings.HasPrefix(vd.Reason, c.reason) {
				t.Errorf("Verified %v, Reason %q; want not verified, reason %q...", vd.Verified, vd.Reason, c.reason)
			}
			var ie *verify.InputError
			var ind *verify.Indeterminate
			switch {
			case c.input:
				if !errors.As(err, &ie) || verify.IsIndeterminate(err) || vd.Indeterminate {
					t.Errorf("error %T %v, Indeterminate %v; want an *InputError, not indeterminate", err, err, vd.Indeterminate)
				}
				for _, ch := range vd.Checks {
					if ch.Status != verify.StatusSkipped {
						t.Errorf("check %+v: nothing should have been checked", ch)
					}
				}
			case !errors.As(err, &ind) || ind.Check != c.check || !vd.Indeterminate:
				t.Errorf("error %T %v, Indeterminate %v; want an *Indeterminate of check %q", err, err, vd.Indeterminate, c.check)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v does not wrap %v", err, c.is)
			}
		})
	}
}

func mustVerifier(f *verifytest.Fixture) *verify.Verifier {
	v, _ := newVerifier(f)
	return v
}

// A deadline that passes while a read hangs ends the verification as indeterminate,
// "timeout" with the deadline's cause, soon after the deadline; the verdict's checks show
// the read it interrupted. A check that failed before the deadline still decides "no".
func TestVerifyDeadline(t *testing.T) {
	f := verifytest.New(t)
	img := f.PushImage(f.Repo("mcp/deadline"), "v1", verifytest.PinCommit)
	f.Sign(img)
	f.Hostile.On(http.MethodGet, `\.sig$`, hostile.Hang())
	v, _ := newVerifier(f, verify.WithRequestTimeout(time.Minute))
	why := errors.New("verification budget of 300ms spent")
	ctx, cancel := context.WithTimeoutCause(context.Background(), 300*time.Millisecond, why)
	defer cancel()
	start := time.Now()
	vd, err := v.Verify(ctx, img, policy())
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Verify took %v past a 300ms deadline", took)
	}
	var ind *verify.Indeterminate
	if vd == nil || vd.Verified || !vd.Indeterminate || !errors.As(err, &ind) || ind.Check != verify.IndeterminateTimeout || !errors.Is(err, why) {
		t.Fatalf("Verify() = %+v, %v; want indeterminate, check timeout, caused by %v", vd, err, why)
	}
	if vd.Reason != "timeout: "+why.Error() {
		t.Errorf("Reason %q, want the deadline's cause", vd.Reason)
	}
	if c := vd.Check(verify.CheckSignature); c.Status != verify.StatusError || !strings.Contains(c.Detail, ".sig") {
		t.Errorf("signature check = %+v; want the interrupted .sig read", c)
	}
	if c := vd.Check(verify.CheckDigest); c.Status != verify.StatusPass {
		t.Errorf("digest check = %+v; want pass (read before the deadline)", c)
	}

	// By tag, the config is read beside the hanging .sig: its label is wrong, a definite
	// "no", whatever the deadline interrupted.
	f.Sign(f.PushImage(f.Repo("mcp/deadline"), "v2", verifytest.OtherCommit))
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	vd, err = v.Verify(ctx, f.Repo("mcp/deadline").Tag("v2"), policy())
	if err != nil || vd == nil || vd.Verified || vd.Indeterminate || !strings.HasPrefix(vd.Reason, "label: ") {
		t.Fatalf("Verify(wrong label, deadline) = %+v, %v; want a definite no on the label", vd, err)
	}
}
