//go:build e2e

package sign_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/sigstore/pkg/tuf"
)

// TestE2ERealRekor signs and attests through the stack's Rekor and checks, with cosign's
// verification library and the log's public key, that the bundles (SET, body, log ID) are
// the ones cosign itself would accept; then that re-signing reuses both entries.
func TestE2ERealRekor(t *testing.T) {
	reg, url, pubPath := os.Getenv("MCPBUILD_E2E_REGISTRY"), os.Getenv("MCPBUILD_E2E_REKOR_URL"), os.Getenv("MCPBUILD_E2E_REKOR_PUBKEY")
	if os.Getenv("MCPBUILD_E2E") != "1" || reg == "" || url == "" || pubPath == "" {
		t.Skip("needs the local stack with Rekor: . .stack/env")
	}
	ctx := context.Background()
	img := pushImage(t, reg, "mcpbuild-e2e/sign")
	repo, err := name.NewRepository(reg + "/mcpbuild-e2e/sig-lib-" + strconv.FormatInt(time.Now().UnixNano(), 10))
	if err != nil {
		t.Fatal(err)
	}
	rk, err := sign.NewRekor(url, 1)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := sign.New(mustSigner(t, keyA), sign.NewStore(repo), rk)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := svc.SignImage(ctx, img, claims)
	if err != nil {
		t.Fatal(err)
	}
	att, err := svc.Attest(ctx, img, statementFor(img))
	if err != nil {
		t.Fatal(err)
	}
	if sig.LogIndex < 0 || att.LogIndex < 0 || sig.LogIndex == att.LogIndex {
		t.Errorf("log indexes sig %d att %d", sig.LogIndex, att.LogIndex)
	}

	// distribution keeps the manifest bytes verbatim: what it serves is exactly ggcr's
	// marshalling of the manifest we pushed (OCI data fields included).
	for _, tag := range []name.Tag{sig.Tag, att.Tag} {
		d, err := remote.Get(tag)
		if err != nil {
			t.Fatal(err)
		}
		m, err := v1.ParseManifest(bytes.NewReader(d.Manifest))
		if err != nil {
			t.Fatal(err)
		}
		ours, _ := json.Marshal(m)
		if !bytes.Equal(ours, d.Manifest) || len(m.Layers) != 1 || len(m.Layers[0].Data) == 0 {
			t.Errorf("%s: served manifest differs from the one pushed:\n%s\n%s", tag, d.Manifest, ours)
		}
	}

	logPEM, err := os.ReadFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	logKeys := cosign.NewTrustedTransparencyLogPubKeys()
	if err := logKeys.AddTransparencyLogPubKey(logPEM, tuf.Active); err != nil {
		t.Fatal(err)
	}
	pub, _ := mustSigner(t, keyA).PublicKey(ctx)
	v, _ := cosignVerifier(pub)
	co := func(cv func(*cosign.CheckOpts)) *cosign.CheckOpts {
		o := &cosign.CheckOpts{SigVerifier: v, RekorPubKeys: &logKeys, Offline: true,
			RegistryClientOpts: []ociremote.Option{ociremote.WithTargetRepository(repo)}}
		cv(o)
		return o
	}
	_, bundled, err := cosign.VerifyImageSignatures(ctx, img, co(func(o *cosign.CheckOpts) {
		o.ClaimVerifier = cosign.SimpleClaimVerifier
		o.Annotations = map[string]any{catalog.RevisionLabel: claims[catalog.RevisionLabel]}
	}))
	if err != nil || !bundled {
		t.Errorf("cosign VerifyImageSignatures = bundle verified %v, %v", bundled, err)
	}
	_, bundled, err = cosign.VerifyImageAttestations(ctx, img, co(func(o *cosign.CheckOpts) {
		o.ClaimVerifier = cosign.IntotoSubjectClaimVerifier
	}))
	if err != nil || !bundled {
		t.Errorf("cosign VerifyImageAttestations = bundle verified %v, %v", bundled, err)
	}

	before, err := rk.LogInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := svc.SignImage(ctx, img, claims)
	if err != nil || again.Appended || again.LogIndex != sig.LogIndex {
		t.Errorf("second SignImage = %+v, %v; want the first entry reused", again, err)
	}
	againAtt, err := svc.Attest(ctx, img, statementFor(img))
	if err != nil || againAtt.Appended || againAtt.LogIndex != att.LogIndex {
		t.Errorf("second Attest = %+v, %v; want the first entry reused", againAtt, err)
	}
	after, _ := rk.LogInfo(ctx)
	t.Logf("log size %d -> %d across the re-sign (other tests may write meanwhile)", *before.TreeSize, *after.TreeSize)
}
