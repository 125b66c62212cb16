package sign_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/pemkey"
	"github.com/mcpbuild/mcpbuild/sign"
)

const (
	recordedDir    = "testdata/cosign2-sig"
	recordedImage  = "127.0.0.1:15000/mcp/pinned@sha256:a9efb5c366109209198ddbd2903bee5e7cd3db1028ec0159ee886be779ed9fed"
	recordedCommit = "1042fbfc49f0784062a615b2a0bf626686da429b"
	recordedSource = "git://127.0.0.1:19418/mcp-pinned.git"
)

var recordedClaims = map[string]string{catalog.RevisionLabel: recordedCommit, catalog.SourceLabel: recordedSource}

type recordedManifest []byte

func (r recordedManifest) RawManifest() ([]byte, error) { return r, nil }
func (r recordedManifest) MediaType() (types.MediaType, error) {
	return types.OCIManifestSchema1, nil
}

// loadRecorded pushes the .sig manifest cosign v2.6.5 wrote (and its blobs) into repo.
func loadRecorded(t *testing.T, repo name.Repository) (*v1.Manifest, v1.Hash) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(recordedDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		b, err := os.ReadFile(filepath.Join(recordedDir, strings.ReplaceAll(d.Digest.String(), ":", "-")))
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.WriteLayer(repo, static.NewLayer(b, d.MediaType)); err != nil {
			t.Fatal(err)
		}
	}
	img, _ := name.NewDigest(recordedImage)
	h := mustHash(t, img)
	if err := remote.Put(sign.Tag(repo, h, sign.SignatureSuffix), recordedManifest(raw)); err != nil {
		t.Fatal(err)
	}
	return m, h
}

func recordedBlob(t *testing.T, d v1.Hash) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(recordedDir, strings.ReplaceAll(d.String(), ":", "-")))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Our payload and our signatures manifest config are byte-identical to cosign's.
func TestRecordedCosignBytes(t *testing.T) {
	ctx := context.Background()
	img, _ := name.NewDigest(recordedImage)
	raw, _ := os.ReadFile(filepath.Join(recordedDir, "manifest.json"))
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := sign.Payload(img, recordedClaims)
	if err != nil {
		t.Fatal(err)
	}
	if want := recordedBlob(t, m.Layers[0].Digest); !bytes.Equal(payload, want) {
		t.Errorf("Payload() =\n%s\ncosign signed\n%s", payload, want)
	}

	host := newRegistry(t, nil)
	svc := newService(t, host, keyA, nil)
	a, err := svc.SignImage(ctx, img, recordedClaims)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(a.Tag)
	if err != nil {
		t.Fatal(err)
	}
	ours, _ := v1.ParseManifest(bytes.NewReader(d.Manifest))
	if ours.MediaType != m.MediaType || ours.Config.MediaType != m.Config.MediaType || ours.Config.Digest != m.Config.Digest {
		t.Errorf("manifest/config: ours %s %s %s, cosign %s %s %s", ours.MediaType, ours.Config.MediaType, ours.Config.Digest,
			m.MediaType, m.Config.MediaType, m.Config.Digest)
	}
	if ours.Layers[0].Digest != m.Layers[0].Digest || ours.Layers[0].MediaType != m.Layers[0].MediaType {
		t.Errorf("layer: ours %v, cosign %v", ours.Layers[0], m.Layers[0])
	}
	cl, err := remote.Layer(a.Tag.Context().Digest(ours.Config.Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := cl.Compressed()
	cfg, _ := io.ReadAll(rc)
	if want := recordedBlob(t, m.Config.Digest); !bytes.Equal(cfg, want) {
		t.Errorf("config blob =\n%s\ncosign wrote\n%s", cfg, want)
	}
}

// A signature cosign made with our key over the same claims (with its real Rekor bundle)
// counts as ours: no re-signing, no log entry. Appending keeps cosign's layer verbatim.
func TestRecordedCosignSignatureReused(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	repo, _ := name.NewRepository(host + "/mcp/signatures")
	m, _ := loadRecorded(t, repo)
	img, _ := name.NewDigest(recordedImage)
	logPEM, err := os.ReadFile(filepath.Join(recordedDir, "rekor.pub"))
	if err != nil {
		t.Fatal(err)
	}
	logKey, err := pemkey.ParsePublic(logPEM)
	if err != nil {
		t.Fatal(err)
	}
	tl := &fakeTLog{Pub: logKey} // the log that recorded cosign's entry
	svc := newService(t, host, keyA, tl)

	layers, err := svc.Store().List(ctx, mustHash(t, img), sign.SignatureSuffix)
	if err != nil || len(layers) != 1 || layers[0].Data != nil {
		t.Fatalf("List() = %+v, %v", layers, err)
	}
	content, err := svc.Store().Content(ctx, layers[0])
	if err != nil || !bytes.Equal(content, recordedBlob(t, m.Layers[0].Digest)) {
		t.Errorf("Content() = %q, %v", content, err)
	}
	a, err := svc.SignImage(ctx, img, recordedClaims)
	if err != nil {
		t.Fatal(err)
	}
	if a.Appended || tl.Count() != 0 || a.LogIndex != 140 {
		t.Errorf("SignImage over cosign's signature by our key = %+v, %d uploads; want reuse of log index 140", a, tl.Count())
	}
	// Another key does not match it.
	if f, _ := newService(t, host, keyB, tl).FindSignature(ctx, img, recordedClaims); f != nil {
		t.Error("key B matched key A's signature")
	}
	// The same signature is no entry of another log: there it is signed and logged anew.
	other := &fakeTLog{}
	if f, err := newService(t, host, keyA, other).FindSignature(ctx, img, recordedClaims); f != nil || err != nil {
		t.Errorf("FindSignature with another log = %+v, %v; want none", f, err)
	}
	// New claims: appended after cosign's layer, which stays byte-identical.
	if _, err := newService(t, host, keyA, nil).SignImage(ctx, img, map[string]string{catalog.RevisionLabel: strings.Repeat("e", 40)}); err != nil {
		t.Fatal(err)
	}
	after := rawManifest(t, sign.Tag(repo, mustHash(t, img), sign.SignatureSuffix))
	if len(after.Layers) != 2 || !descEqual(after.Layers[0], m.Layers[0]) || after.Config.MediaType != m.Config.MediaType {
		t.Errorf("after append: %d layers, cosign's kept: %v", len(after.Layers), descEqual(after.Layers[0], m.Layers[0]))
	}
}
