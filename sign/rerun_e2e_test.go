//go:build e2e

package sign_test

import (
	"context"
	"os"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/mcpbuild/mcpbuild/sign"
)

// TestE2ERerunReusesTheRekorEntry: against the stack's Rekor, a run that dies after its
// upload and before the registry push (the registry refuses the push), then a re-run in a
// new Service: the re-run uploads what was staged again, Rekor answers 409, and the layer
// attached carries the entry the first run made (its log index precedes the re-run). For
// the attestation the re-run brings another build's statement; the staged one is kept.
func TestE2ERerunReusesTheRekorEntry(t *testing.T) {
	url := os.Getenv("MCPBUILD_E2E_REKOR_URL")
	if os.Getenv("MCPBUILD_E2E") != "1" || url == "" {
		t.Skip("needs the local stack with Rekor: . .stack/env")
	}
	ctx := context.Background()
	var armed atomic.Bool
	host := newRegistry(t, refuseFinalPush(&armed))
	repo, _ := name.NewRepository(host + "/mcp/signatures")
	for _, kind := range []string{"signature", "attestation"} {
		t.Run(kind, func(t *testing.T) {
			img := pushImage(t, host, "mcp/"+kind)
			key, _, err := sign.GenerateKeyPair([]byte(password)) // a fresh key: entries of earlier runs do not count
			if err != nil {
				t.Fatal(err)
			}
			signer, err := sign.LoadKey(key, []byte(password))
			if err != nil {
				t.Fatal(err)
			}
			do := func(run string) (*sign.Attached, error) {
				rk, err := sign.NewRekor(url, 1)
				if err != nil {
					t.Fatal(err)
				}
				svc, err := sign.New(signer, sign.NewStore(repo), rk)
				if err != nil {
					t.Fatal(err)
				}
				if kind == "signature" {
					return svc.SignImage(ctx, img, claims)
				}
				return svc.Attest(ctx, img, statementAt(img, run))
			}
			armed.Store(true)
			if _, err := do("2026-01-01T00:00:00Z"); err == nil {
				t.Fatal("the run whose push was refused succeeded")
			}
			armed.Store(false)
			staged := pendingOf(t, sign.Tag(repo, mustHash(t, img), suffixOf(kind)))

			rk, _ := sign.NewRekor(url, 1)
			info, err := rk.LogInfo(ctx)
			if err != nil {
				t.Fatal(err)
			}
			a, err := do("2026-01-01T00:05:00Z")
			if err != nil {
				t.Fatalf("re-run: %v", err)
			}
			if !a.Appended || a.Digest != staged.Digest || a.LogIndex < 0 || a.LogIndex >= *info.TreeSize {
				t.Errorf("re-run attached %+v; want the staged layer %s with the entry made before the re-run (log size then %d)",
					a, staged.Digest, *info.TreeSize)
			}
			layers, err := sign.NewStore(repo).List(ctx, mustHash(t, img), suffixOf(kind))
			if err != nil || len(layers) != 1 {
				t.Fatalf("%d layers, %v", len(layers), err)
			}
			if kind == "signature" && string(sigOf(t, layers[0])) != string(sigOf(t, sign.Layer{Annotations: staged.Annotations})) {
				t.Error("the attached signature is not the staged one")
			}
		})
	}
}
