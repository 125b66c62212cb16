package sign_test

import (
	"context"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
)

// lyingLayer claims embedded data that is not its content.
type lyingLayer struct {
	v1.Layer
	data []byte
}

func (l lyingLayer) Descriptor() (*v1.Descriptor, error) {
	d, _ := l.Digest()
	n, _ := l.Size()
	mt, _ := l.MediaType()
	return &v1.Descriptor{MediaType: mt, Size: n, Digest: d, Data: l.data}, nil
}

// A manifest whose embedded data does not match the layer digest is rejected, never used.
func TestListRejectsMismatchedData(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	svc := newService(t, host, keyA, nil)
	payload, _ := sign.Payload(img, claims)
	real, _ := static.NewSignature(payload, "c2ln")
	forged := []byte(strings.Replace(string(payload), "0123", "9999", 1))
	si, err := mutate.Append(empty.Signatures(), mutate.Addendum{Layer: lyingLayer{Layer: real, data: forged}})
	if err != nil {
		t.Fatal(err)
	}
	tag := sign.Tag(svc.Store().Repository(), mustHash(t, img), sign.SignatureSuffix)
	if err := remote.Write(tag, si); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Store().List(ctx, mustHash(t, img), sign.SignatureSuffix); err == nil ||
		!strings.Contains(err.Error(), "does not match") {
		t.Errorf("List() = %v, want a data/digest mismatch error", err)
	}
	if _, err := svc.SignImage(ctx, img, claims); err == nil {
		t.Error("SignImage appended to a manifest with forged embedded data")
	}
}
