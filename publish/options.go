package publish

import (
	"fmt"
	"io"
	"log/slog"
)

// Option configures New. Each option may be given once: a second one is a conflict, and
// New fails naming it.
type Option func(*options) error

type options struct {
	log      *slog.Logger
	progress io.Writer
	parallel int
	set      map[string]bool
}

func (o *options) once(name string) error {
	if o.set[name] {
		return fmt.Errorf("%s given twice", name)
	}
	o.set[name] = true
	return nil
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return fmt.Errorf("WithLogger: nil logger")
		}
		o.log = l
		return o.once("WithLogger")
	}
}

// WithProgress writes one plain line per step and server to w ("<server>: building"...;
// stderr in the CLI). Default: none.
func WithProgress(w io.Writer) Option {
	return func(o *options) error {
		if w == nil {
			return fmt.Errorf("WithProgress: nil writer")
		}
		o.progress = w
		return o.once("WithProgress")
	}
}

// WithParallelism publishes at most n servers at a time (default 1): checks, builds,
// signatures and attestations of n servers run concurrently.
func WithParallelism(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("WithParallelism(%d): want at least 1", n)
		}
		o.parallel = n
		return o.once("WithParallelism")
	}
}
