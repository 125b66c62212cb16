package build

import (
	"context"
	"sync"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// Recorder records the servers it was asked to build (in call order) and delegates to
// Builder when it is set; a nil Builder returns Fake. For tests of callers.
type Recorder struct {
	Builder Builder
	// Fake answers when Builder is nil.
	Fake func(s *catalog.Server) (*Result, error)

	mu    sync.Mutex
	calls []string
}

var _ Builder = (*Recorder)(nil)

// Build records s.Name and builds.
func (r *Recorder) Build(ctx context.Context, s *catalog.Server) (*Result, error) {
	r.mu.Lock()
	r.calls = append(r.calls, s.Name)
	r.mu.Unlock()
	if r.Builder != nil {
		return r.Builder.Build(ctx, s)
	}
	return r.Fake(s)
}

// Calls returns the names built so far.
func (r *Recorder) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}
