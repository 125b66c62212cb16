package sign_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
)

// A registry that answers every upload POST 201 (a mount: "I hold it") while holding
// nothing must not get a signature that cosign cannot fetch: a blob the registry only
// said it holds is read back before it counts as pushed, and SignImage fails.
func TestSignMountLie(t *testing.T) {
	ctx := context.Background()
	s := hostile.NewRegistry()
	host := s.Start(t)
	img := pushImage(t, host, "mcp/app")
	svc := newService(t, host, keyA, &fakeTLog{})
	s.On("POST", `/blobs/uploads/$`, hostile.Respond(http.StatusCreated, ""))
	if _, err := svc.SignImage(ctx, img, nil); err == nil {
		t.Fatal("SignImage() succeeded on a registry that holds none of the blobs it claimed to mount")
	}
	for _, e := range s.Log() {
		if e.Method == http.MethodPut && hostile.TallyOf([]hostile.Entry{e})["PUT sig"] == 1 {
			t.Errorf("a .sig manifest was written on blobs the registry never held: %s", e.Path)
		}
	}
}
