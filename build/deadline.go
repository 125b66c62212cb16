package build

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

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
	if err != nil && ctx.Err() == nil {
		awaitOwnDeadline(bctx, err)
	}
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(bctx), errLate) {
		return nil, &UnreachableError{Service: ServiceBuildKit, Addr: "(build deadline)", Err: fmt.Errorf("%w: %v", errLate, err)}
	}
	return r, err
}

// awaitOwnDeadline waits, when err says a deadline passed and bctx's own is due within a
// second, until bctx's timer has fired: gRPC sends the deadline to buildkitd, whose copy
// can fire first, so the build's error may arrive a moment before bctx is done.
func awaitOwnDeadline(bctx context.Context, err error) {
	dl, ok := bctx.Deadline()
	if !ok || time.Until(dl) > time.Second || !deadlineError(err) {
		return
	}
	t := time.NewTimer(time.Until(dl) + 50*time.Millisecond)
	defer t.Stop()
	select {
	case <-bctx.Done():
	case <-t.C:
	}
}

// deadlineError reports whether err is a passed deadline, as the context package or
// gRPC (buildkitd's side of the same deadline) reports it.
func deadlineError(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded ||
		strings.Contains(err.Error(), "DeadlineExceeded")
}
