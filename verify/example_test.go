package verify_test

import (
	"context"
	"fmt"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// A gateway verifies an MCP server image against the catalog pin before starting it.
func ExampleImage() {
	// Test scaffolding: an in-process registry holding a signed image.
	scaffold := &exampleTB{}
	defer scaffold.done()
	f := verifytest.New(scaffold)
	img := f.PushImage(f.Repo("mcp/fetch"), "latest", verifytest.PinCommit)
	f.Sign(img)
	publisherKey, rekorKey := &f.Key.PublicKey, &f.RekorKey.PublicKey

	vd, err := verify.Image(context.Background(), f.Host+"/mcp/fetch:latest", verify.ImageOptions{
		Key:      publisherKey,
		RekorKey: rekorKey,
		Pin:      catalog.Pin{Project: verifytest.Project, Commit: verifytest.PinCommit},
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

// exampleTB lets the example use the test fixture outside a test.
type exampleTB struct{ cleanups []func() }

func (e *exampleTB) Helper()           {}
func (e *exampleTB) Fatal(args ...any) { panic(fmt.Sprint(args...)) }
func (e *exampleTB) Cleanup(f func())  { e.cleanups = append(e.cleanups, f) }
func (e *exampleTB) done() {
	for _, f := range e.cleanups {
		f()
	}
}
