package verify_test

import (
	"errors"
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

	// Every refused input is an *InputError with a Verdict naming it, as Verify's.
	bad := map[string]struct {
		ref    string
		opts   func(o *verify.ImageOptions)
		reason string // prefix of the Verdict's Reason
	}{
		"implied registry":          {"mcp/fetch:latest", func(*verify.ImageOptions) {}, "reference: "},
		"implied tag":               {f.Host + "/mcp/fetch", func(*verify.ImageOptions) {}, "reference: "},
		"no key":                    {ref, func(o *verify.ImageOptions) { o.Key = nil }, "options: "},
		"no log policy":             {ref, func(o *verify.ImageOptions) { o.RekorKey = nil }, "options: "},
		"log key and opt-out":       {ref, func(o *verify.ImageOptions) { o.InsecureIgnoreTLog = true }, "options: "},
		"bad signatures repository": {ref, func(o *verify.ImageOptions) { o.SignaturesRepository = "UPPER/case" }, "options: "},
		"pin is not a commit":       {ref, func(o *verify.ImageOptions) { o.Pin.Commit = "main" }, "policy: "},
	}
	for n, c := range bad {
		o := ok
		c.opts(&o)
		vd, err := verify.Image(ctxT(t), c.ref, o)
		var ie *verify.InputError
		if !errors.As(err, &ie) || vd.Verified || vd.Indeterminate {
			t.Errorf("%s: Image() = %+v, %v; want an *InputError, neither verified nor indeterminate", n, vd, err)
			continue
		}
		if vd.MediaType != verify.MediaType || vd.Image == "" || !strings.HasPrefix(vd.Reason, c.reason) || vd.Pin != o.Pin || len(vd.Checks) == 0 {
			t.Errorf("%s: Image() verdict = %+v; want media type, image, pin, checks and reason %q...", n, vd, c.reason)
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
