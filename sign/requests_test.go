package sign_test

import (
	"context"
	"testing"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

// The registry requests of signing and attesting an image that has neither (a first
// publish), pinned so that they cannot grow unnoticed. Per item (signature, attestation):
// six reads of the tag (the first look, one read; before staging, where a 404 is asked
// again; the staging read-back; before writing; the final read-back), the payload's blob
// (a POST that would mount it, then one PUT of the bytes), the staging manifest (PUT;
// its config, the empty signatures config, is already there), the final config (POST,
// PUT) and manifest (PUT). No ping (authenticated transports are made once per Store),
// no HEAD (of a blob before pushing it, of the tag before a PUT), no PATCH, no config
// read (the Attach pushed it).
func TestFirstSignatureRequests(t *testing.T) {
	ctx := context.Background()
	s := hostile.NewRegistry()
	host := s.Start(t)
	warm, img := pushImage(t, host, "mcp/warm"), pushImage(t, host, "mcp/app")
	svc := newService(t, host, keyA, &fakeTLog{})
	start := len(s.Log())
	if _, err := svc.SignImage(ctx, warm, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Attest(ctx, warm, signtest.Statement(warm)); err != nil {
		t.Fatal(err)
	}
	// Once per Store: three pings (reads; blob pushes; manifest PUTs) and the empty
	// signatures config.
	if got := hostile.TallyOf(s.Log()[start:]); got["GET ping"] != 3 || got["POST upload"] != 5 {
		t.Errorf("first image: %s; want 3 pings, 5 uploads (2 payloads, 2 configs and the empty config once)", got.String())
	}
	perItem := hostile.Tally{"GET sig": 6, "POST upload": 2, "PUT upload": 2, "PUT sig": 2}
	for _, tc := range []struct {
		name string
		do   func() error
	}{
		{"SignImage", func() error { _, err := svc.SignImage(ctx, img, nil); return err }},
		{"Attest", func() error { _, err := svc.Attest(ctx, img, signtest.Statement(img)); return err }},
	} {
		before := len(s.Log())
		if err := tc.do(); err != nil {
			t.Fatal(err)
		}
		if got := hostile.TallyOf(s.Log()[before:]); got.String() != perItem.String() {
			t.Errorf("%s of a new image: %s (%d requests); want %s (12)", tc.name, got.String(), len(s.Log())-before, perItem.String())
		}
	}
}
