package build

import (
	"context"
	"fmt"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// Limiter lets at most N builds of the wrapped Builder run at once; callers may start
// as many goroutines as they like.
type Limiter struct {
	Builder
	sem chan struct{}
}

var _ Builder = (*Limiter)(nil)

// NewLimiter wraps b so that at most n builds run at the same time.
func NewLimiter(b Builder, n int) (*Limiter, error) {
	if n < 1 {
		return nil, fmt.Errorf("build limiter: %d parallel builds, want at least 1", n)
	}
	return &Limiter{Builder: b, sem: make(chan struct{}, n)}, nil
}

// Build waits for a free slot (or ctx), then builds.
func (l *Limiter) Build(ctx context.Context, s *catalog.Server) (*Result, error) {
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("building server %s: %w", s.Name, context.Cause(ctx))
	}
	defer func() { <-l.sem }()
	return l.Builder.Build(ctx, s)
}
