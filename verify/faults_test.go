package verify_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// Faults on the signature lookup must give "could not decide", never "unsigned".
func TestFaultsAreIndeterminate(t *testing.T) {
	faults := map[string]func(w http.ResponseWriter){
		"500": func(w http.ResponseWriter) { http.Error(w, "boom", http.StatusInternalServerError) },
		"503": func(w http.ResponseWriter) { http.Error(w, "down", http.StatusServiceUnavailable) },
		"429": func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "30")
			http.Error(w, `{"errors":[{"code":"TOOMANYREQUESTS"}]}`, http.StatusTooManyRequests)
		},
		"401": func(w http.ResponseWriter) { http.Error(w, "no", http.StatusUnauthorized) },
		"dropped connection": func(w http.ResponseWriter) {
			hj, ok := w.(http.Hijacker)
			if !ok {
				panic("no hijacker")
			}
			c, _, err := hj.Hijack()
			if err == nil {
				c.Close()
			}
		},
	}
	for n, fault := range faults {
		t.Run(n, func(t *testing.T) {
			t.Parallel()
			f := verifytest.New(t)
			repo := f.Repo("mcp/faulty")
			img := f.PushImage(repo, "v1", verifytest.PinCommit)
			f.Sign(img)
			f.Hook = func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, ".sig") {
					fault(w)
					return true
				}
				return false
			}
			v, _ := newVerifier(f)
			vd, err := v.Verify(ctxT(t), repo.Tag("v1"), policy())
			var ind *verify.Indeterminate
			if !errors.As(err, &ind) {
				t.Fatalf("Verify() = %+v, %v; want *Indeterminate", vd, err)
			}
			if ind.Check != verify.CheckSignature || vd.Verified || !vd.Indeterminate || vd.Check(verify.CheckSignature).Status != verify.StatusError {
				t.Fatalf("indeterminate on %q, verdict %+v", ind.Check, vd)
			}
			if strings.Contains(vd.Reason, "unsigned") || strings.Contains(err.Error(), "unsigned") {
				t.Fatalf("a failed lookup was reported as unsigned: %v", err)
			}
		})
	}
}

func TestSlowRegistryTimesOut(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/slow")
	img := f.PushImage(repo, "v1", verifytest.PinCommit)
	f.Sign(img)
	f.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.Contains(r.URL.Path, "/manifests/") {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}
		return false
	}
	v, _ := newVerifier(f)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := v.Verify(ctx, repo.Tag("v1"), policy())
	if !verify.IsIndeterminate(err) || !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("Verify() on a slow registry = %v, want indeterminate deadline error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Verify() took %v despite the 300ms deadline", d)
	}
}

func TestRekorURLFetchedOnceAndUnreachable(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/rekor")
	img := f.PushImage(repo, "v1", verifytest.PinCommit)
	f.Sign(img)
	rekorPEM := verifytest.PEM(t, &f.RekorKey.PublicKey)
	calls := 0
	f.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/api/v1/log/publicKey" {
			calls++
			w.Write(rekorPEM)
			return true
		}
		return false
	}
	st := &verify.Stats{}
	v, err := verify.New(&f.Key.PublicKey, verify.WithRekorURL(f.Server.URL), verify.WithSignaturesRepository(f.SigRepo), verify.WithStats(st))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		vd, err := v.Verify(ctxT(t), img, policy())
		if err != nil || !vd.Verified {
			t.Fatalf("Verify with Rekor URL = %+v, %v", vd, err)
		}
	}
	if calls != 1 || st.Snapshot().RekorRequests != 1 {
		t.Fatalf("rekor key fetched %d times (stats %v), want once", calls, st.Snapshot())
	}

	dead, err := verify.New(&f.Key.PublicKey, verify.WithRekorURL("http://127.0.0.1:1"), verify.WithSignaturesRepository(f.SigRepo))
	if err != nil {
		t.Fatal(err)
	}
	vd, err := dead.Verify(ctxT(t), img, policy())
	var ind *verify.Indeterminate
	if !errors.As(err, &ind) || ind.Check != verify.CheckTLog || vd.Verified {
		t.Fatalf("Verify with unreachable Rekor = %+v, %v; want indeterminate tlog", vd, err)
	}
}

func TestImageNotFoundIsDefinite(t *testing.T) {
	f := verifytest.New(t)
	v, _ := newVerifier(f)
	vd, err := v.Verify(ctxT(t), f.Repo("mcp/none").Tag("v1"), policy())
	if err != nil || vd.Verified || vd.Check(verify.CheckDigest).Status != verify.StatusFail {
		t.Fatalf("Verify(missing image) = %+v, %v", vd, err)
	}
}

// A definite failure decides even when another lookup failed; the reason names the
// failure, not the failed lookup.
func TestFailureWinsOverFaultInReason(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/mixed")
	img := f.PushImage(repo, "v1", verifytest.OtherCommit) // label is not the pin
	f.Sign(img)
	f.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, ".sig") {
			http.Error(w, "boom", http.StatusInternalServerError)
			return true
		}
		return false
	}
	v, _ := newVerifier(f)
	vd, err := v.Verify(ctxT(t), repo.Tag("v1"), policy())
	if err != nil || vd.Verified || vd.Indeterminate || !strings.HasPrefix(vd.Reason, "label:") || vd.Check(verify.CheckSignature).Status != verify.StatusError {
		t.Fatalf("Verify() = %+v, %v; want not verified because of the label, signature error kept", vd, err)
	}
}
