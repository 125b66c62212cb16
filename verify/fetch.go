package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/fault"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// errNotFound is a 404 answer (errors.Is): the registry says the thing does not exist,
// the only proof of absence. It is ocireg's, the one rule publish follows too.
var errNotFound = ocireg.ErrNotFound

// contentError marks authentic content that fails a check: content whose bytes are
// proven (by digest, or as the single read of a tag) and well formed, but not what the
// check needs (an index without the platform, a referrer without a bundle, an image
// config that is not one). It is a definite failure. Content that is not a valid object
// of the expected media type, digest and size is not: that is the registry failing
// (badContent, a readError).
type contentError struct{ err error }

func (e *contentError) Error() string     { return e.err.Error() }
func (e *contentError) Unwrap() error     { return e.err }
func (e *contentError) Fault() fault.Kind { return fault.Failed }

// readError marks a failed registry read: network fault, timeout, any status but 200
// and 404, auth, or content that is not a valid object of the expected media type,
// digest and size (badContent). It decides nothing about the image.
type readError struct{ err error }

func (e *readError) Error() string     { return e.err.Error() }
func (e *readError) Unwrap() error     { return e.err }
func (e *readError) Fault() fault.Kind { return fault.Unreachable }

// badContent is the registry serving something other than what was asked for: bytes
// that do not hash to the digest asked for, a refused media type, a manifest that is not
// one, more than the read limit. Could not check, never a definite failure.
func badContent(format string, a ...any) error {
	return &readError{fmt.Errorf(format, a...)}
}

// referenced sorts the error of a read by digest of content that a manifest just read
// refers to (a blob, an index's child, a referrer): a 404 is then the registry failing
// (lost or unlinked data), not a statement that a signature does not exist, so it is a
// failed read.
func referenced(err error) error {
	if errors.Is(err, errNotFound) {
		// Not wrapped: it must no longer read as errNotFound.
		return &readError{fmt.Errorf("%v (content the manifest refers to is missing from the registry)", err)}
	}
	return err
}

// chain tracks the sequential round trips of one line of dependent requests. Every
// registry request adds one hop to its context's chain; requests run by fetchAll start
// from the same depth, so parallel requests count as one round trip whatever the timing.
type chain struct {
	mu    sync.Mutex
	depth int
}

type chainKey struct{}

func chainOf(ctx context.Context) *chain {
	if c, ok := ctx.Value(chainKey{}).(*chain); ok {
		return c
	}
	return &chain{}
}

func (c *chain) get() int { c.mu.Lock(); defer c.mu.Unlock(); return c.depth }
func (c *chain) hop()     { c.mu.Lock(); c.depth++; c.mu.Unlock() }
func (c *chain) raise(d int) {
	c.mu.Lock()
	c.depth = max(c.depth, d)
	c.mu.Unlock()
}

// fetchAll runs fns in parallel (nil entries are skipped) and waits for all of them. A
// panic in one of them is raised again in the caller's goroutine, where Verify turns it
// into an indeterminate verdict (a panic in a goroutine would end the whole process).
func fetchAll(ctx context.Context, fns ...func(context.Context)) {
	parent := chainOf(ctx)
	start := parent.get()
	var wg sync.WaitGroup
	var children []*chain
	var mu sync.Mutex
	var panicked *panicError
	for _, f := range fns {
		if f == nil {
			continue
		}
		ch := &chain{depth: start}
		children = append(children, ch)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					if panicked == nil {
						panicked = asPanicError(r)
					}
					mu.Unlock()
				}
			}()
			f(context.WithValue(ctx, chainKey{}, ch))
		}()
	}
	wg.Wait()
	for _, ch := range children {
		parent.raise(ch.get())
	}
	if panicked != nil {
		panic(panicked)
	}
}

// panicError is a recovered panic with the stack where it happened.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("internal error: %v", p.value) }

func asPanicError(r any) *panicError {
	if p, ok := r.(*panicError); ok {
		return p
	}
	return &panicError{value: r, stack: debug.Stack()}
}

// parseManifest parses a manifest getManifest has already checked (so an error here
// too is the registry failing).
func parseManifest(raw []byte) (*v1.Manifest, error) {
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, badContent("parsing manifest: %v", err)
	}
	return m, nil
}
