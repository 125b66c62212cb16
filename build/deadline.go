package build

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// DefaultBuildTimeout bounds one server's build (fetch, solve, push, provenance) unless
// the caller chooses otherwise: BuildKit's own network calls (git fetches, base-image
// pulls, the push) have no deadline of their own, so this is theirs.
const DefaultBuildTimeout = 30 * time.Minute

// Deadline gives every build of the wrapped Builder at most D: a hung fetch or push then
// fails that server as BuildKit unreachable (exit 3) instead of holding the whole run.
type Deadline struct {
	Builder
	D time.Duration
}

var _ Builder = (*Deadline)(nil)

// NewDeadline wraps b so that each build takes at most d.
func NewDeadline(b Builder, d time.Duration) (*Deadline, error) {
	if d <= 0 {
		return nil, fmt.Errorf("build deadline: %v, want a positive duration", d)
	}
	return &Deadline{Builder: b, D: d}, nil
}

// Build builds s within the deadline. Exceeding it is reported as an *UnreachableError for
// BuildKit naming the server and the deadline; the caller's own deadline or cancellation
// is passed on as it is.
func (b *Deadline) Build(ctx context.Context, s *catalog.Server) (*Result, error) {
	errLate := fmt.Errorf("build of server %s did not finish within %v", s.Name, b.D)
	bctx, cancel := context.WithTimeoutCause(ctx, b.D, errLate)
	defer cancel()
	r, err := b.Builder.Build(bctx, s)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(bctx), errLate) {
		return nil, &UnreachableError{Service: ServiceBuildKit, Addr: "(build deadline)", Err: fmt.Errorf("%w: %v", errLate, err)}
	}
	return r, err
}
