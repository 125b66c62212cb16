package verify_test

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/verify"
)

// A gateway verifies an MCP server image against the catalog pin before starting it.
func ExampleImage() {
	// Test scaffolding: an in-process registry holding a signed image.
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	f := newFixture(&testing.T{})
	f.host = strings.TrimPrefix(srv.URL, "http://")
	f.sigRepo = f.repo("mcp/signatures")
	img := f.pushImage(f.repo("mcp/fetch"), "latest", pinCommit)
	f.sign(img)
	publisherKey, rekorKey := &f.key.PublicKey, &f.rekorKey.PublicKey

	vd, err := verify.Image(context.Background(), f.host+"/mcp/fetch:latest", verify.ImageOptions{
		Key:      publisherKey,
		RekorKey: rekorKey,
		Pin:      catalog.Pin{Project: project, Commit: pinCommit},
	})
	switch {
	case err != nil:
		fmt.Println("could not decide, do not start:", err)
	case !vd.Verified:
		fmt.Println("NOT VERIFIED:", vd.Reason)
	default:
		fmt.Println("VERIFIED")
		for _, c := range vd.Checks {
			fmt.Println(c.Name, c.Status)
		}
	}
	// Output:
	// VERIFIED
	// digest pass
	// signature pass
	// tlog pass
	// label pass
	// signed-revision pass
	// provenance skipped
}

var _ *ecdsa.PublicKey
