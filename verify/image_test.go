package verify_test

import (
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

func TestImageOptions(t *testing.T) {
	f := verifytest.New(t)
	img := f.PushImage(f.Repo("mcp/fetch"), "latest", verifytest.PinCommit)
	f.Sign(img)
	ok := verify.ImageOptions{Key: &f.Key.PublicKey, RekorKey: &f.RekorKey.PublicKey, Pin: policy().Pin}
	ref := f.Host + "/mcp/fetch:latest"

	bad := map[string]struct {
		ref  string
		opts func(o *verify.ImageOptions)
	}{
		"implied registry":          {"mcp/fetch:latest", func(*verify.ImageOptions) {}},
		"implied tag":               {f.Host + "/mcp/fetch", func(*verify.ImageOptions) {}},
		"no key":                    {ref, func(o *verify.ImageOptions) { o.Key = nil }},
		"no log policy":             {ref, func(o *verify.ImageOptions) { o.RekorKey = nil }},
		"log key and opt-out":       {ref, func(o *verify.ImageOptions) { o.InsecureIgnoreTLog = true }},
		"bad signatures repository": {ref, func(o *verify.ImageOptions) { o.SignaturesRepository = "UPPER/case" }},
		"pin is not a commit":       {ref, func(o *verify.ImageOptions) { o.Pin.Commit = "main" }},
	}
	for n, c := range bad {
		o := ok
		c.opts(&o)
		if vd, err := verify.Image(ctxT(t), c.ref, o); err == nil || vd.Verified || verify.IsIndeterminate(err) {
			t.Errorf("%s: Image() = %+v, %v; want a configuration error", n, vd, err)
		}
	}

	// Provenance required and absent: a decided no.
	o := ok
	o.RequireProvenance = true
	vd, err := verify.Image(ctxT(t), ref, o)
	if err != nil || vd.Verified || !strings.HasPrefix(vd.Reason, "provenance: ") {
		t.Fatalf("Image(require provenance) = %+v, %v", vd, err)
	}
	// The opt-out accepts a signature without a log entry.
	f.Sign(img, verifytest.SigSpec{NoBundle: true})
	o = ok
	o.RekorKey, o.InsecureIgnoreTLog = nil, true
	if vd, err = verify.Image(ctxT(t), ref, o); err != nil || !vd.Verified || vd.Check(verify.CheckTLog).Status != verify.StatusSkipped {
		t.Fatalf("Image(insecure ignore tlog) = %+v, %v", vd, err)
	}
}
