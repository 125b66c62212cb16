package sign_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
)

// A staged envelope read back from a blob (a re-run after a kill) that the registry
// serves with other bytes, or more than the record declares, is refused: the re-run
// fails as could not check, logs nothing new and writes nothing.
func TestStagedBlobOfAnotherDigestRefused(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		edit func(b []byte) []byte
	}{
		{"other bytes", func(b []byte) []byte { return []byte(strings.Repeat("x", len(b))) }},
		{"longer", func(b []byte) []byte { return append(b, "{}"...) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newStageRun(t)
			r.tl.SetLose(errors.New("connection reset"))
			if _, err := r.svc.Attest(ctx, r.c.Img, largeStatement(r.c.Img)); err == nil {
				t.Fatal("the killed run succeeded")
			}
			r.tl.SetLose(nil)
			staged := pendingOf(t, r.c.Att)
			if staged.Data != nil {
				t.Fatalf("the staged envelope is embedded (%d bytes)", staged.Size)
			}
			blob := "/v2/mcp/signatures/blobs/" + staged.Digest.String()
			r.rule(func(s *hostile.Server, _ coSigned) {
				s.On(http.MethodGet, blob, hostile.Edit(func(_ *http.Request, resp *hostile.Response) { resp.Body = tc.edit(resp.Body) }))
			})
			_, err := r.svc.Attest(ctx, r.c.Img, largeStatement(r.c.Img))
			if !couldNotCheck(err) || !strings.Contains(err.Error(), "interrupted run staged") {
				t.Errorf("re-run = %v; want could not check", err)
			}
			if r.tl.Count() != 1 || r.puts(attPath) != 0 {
				t.Errorf("%d log entries, %d .att PUTs; want the killed run's only, none", r.tl.Count(), r.puts(attPath))
			}
			keeps(t, r.s, r.c.Att, r.c.AttBefore, 0)
		})
	}
}
