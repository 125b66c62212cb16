package verify_test

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// A gateway trusts two publishers, each for its own images (trust.Load and File.Policy
// build the same TrustPolicy from a policy file).
func ExampleNewPolicyVerifier() {
	scaffold := &exampleTB{}
	defer scaffold.done()
	f := verifytest.New(scaffold)
	img := f.PushImage(f.Repo("mcp/fetch"), "latest", verifytest.PinCommit)
	f.Sign(img)
	vendorKey := verifytest.NewKey(scaffold)
	log := []verify.Option{verify.WithRekorPublicKey(&f.RekorKey.PublicKey)}

	pv, err := verify.NewPolicyVerifier(verify.TrustPolicy{Publishers: []verify.Publisher{
		{Name: "mcp", TrustLevel: verify.TrustOfficial, Images: []string{"mcp/*"}, Options: log,
			Keys: []verify.PublisherKey{{Ref: "mcp.pub", Key: &f.Key.PublicKey}}},
		{Name: "acme", TrustLevel: verify.TrustVerified, Images: []string{"acme/**"}, Options: log,
			Keys: []verify.PublisherKey{{Ref: "acme.pub", Key: &vendorKey.PublicKey}}},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	pin := verify.Policy{Pin: catalog.Pin{Project: verifytest.Project, Commit: verifytest.PinCommit}}
	for _, ref := range []string{f.Host + "/mcp/fetch:latest", f.Host + "/other/fetch:latest"} {
		vd, err := pv.Verify(context.Background(), mustParse(ref), pin)
		switch {
		case err != nil:
			fmt.Println("could not decide:", err)
		case vd.Verified:
			fmt.Println("VERIFIED by", vd.Publisher, vd.TrustLevel)
		default:
			fmt.Println("NOT VERIFIED:", vd.Reason[:len("no publisher in the policy covers")])
		}
	}
	// Output:
	// VERIFIED by mcp official
	// NOT VERIFIED: no publisher in the policy covers
}

func mustParse(s string) name.Reference {
	r, err := name.ParseReference(s)
	if err != nil {
		panic(err)
	}
	return r
}
