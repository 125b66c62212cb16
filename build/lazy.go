package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// ErrLazyClosed is returned by a Lazy's Build after Close.
var ErrLazyClosed = errors.New("builder closed")

// Lazy opens its Builder on the first Build only, so that a caller with nothing to build
// (every server already published) neither needs nor contacts BuildKit. The first Build
// opens with its context; concurrent first calls wait for that one open. A failed open
// is not retried: every Build returns its error.
type Lazy struct {
	open func(ctx context.Context) (Builder, error)

	mu     sync.Mutex
	opened bool // open was called (or Close came first)
	b      Builder
	err    error
}

var _ Builder = (*Lazy)(nil)

// NewLazy returns a Builder that calls open on the first Build and builds with what it
// returned from then on.
func NewLazy(open func(ctx context.Context) (Builder, error)) (*Lazy, error) {
	if open == nil {
		return nil, fmt.Errorf("lazy builder: nil open function")
	}
	return &Lazy{open: open}, nil
}

func (l *Lazy) builder(ctx context.Context) (Builder, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.opened {
		l.opened = true
		l.b, l.err = l.open(ctx)
		if l.err == nil && l.b == nil {
			l.err = errors.New("lazy builder: open returned no builder")
		}
	}
	return l.b, l.err
}

// Build opens the Builder if no Build did yet, then builds s with it.
func (l *Lazy) Build(ctx context.Context, s *catalog.Server) (*Result, error) {
	b, err := l.builder(ctx)
	if err != nil {
		return nil, err
	}
	return b.Build(ctx, s)
}

// Close closes the opened Builder when it is an io.Closer (nothing when it was never
// opened). Builds after Close fail with ErrLazyClosed; call it once the last Build
// returned.
func (l *Lazy) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.opened {
		l.opened, l.err = true, ErrLazyClosed
		return nil
	}
	c, ok := l.b.(io.Closer)
	l.b, l.err = nil, ErrLazyClosed
	if !ok {
		return nil
	}
	return c.Close()
}
