// Package fault is the one taxonomy of mcpbuild's errors: every error says, or is found
// to say, whether the caller misused a command (Usage), nothing was decided because
// something could not be reached or checked (Unreachable), or the answer is a definite no
// (Failed: invalid input, a failed build, not verified). Error types of the library
// packages implement Faulter; KindOf classifies any error, joined ones included, and the
// binaries map that kind to an exit code in one place (cmd/internal/cliutil.ExitCode).
//
// It depends on the standard library only, so that every package can import it.
package fault

import (
	"context"
	"errors"
	"net"
	"net/url"
	"syscall"
)

// Kind is what an error says about the outcome. Kinds are ordered by precedence: where
// several errors are joined, the highest kind among them is the kind of the whole.
type Kind int

const (
	// Unknown: no error, or one that classifies itself as nothing known. Each binary
	// decides what it means (mcpbuild: failed; mcpverify: could not check).
	Unknown Kind = iota
	// Failed is a definite answer that is no: invalid input, a failed build, an image
	// that is not verified.
	Failed
	// Unreachable is "could not check": a service was unreachable, too slow or failing
	// (5xx, 429, a dropped connection, a deadline), or served something other than what
	// was asked for. Nothing was decided.
	Unreachable
	// Usage is a misuse by the caller: bad flags or arguments, input that cannot be
	// checked at all. Asking again the same way will not help.
	Usage
)

func (k Kind) String() string {
	switch k {
	case Failed:
		return "failed"
	case Unreachable:
		return "unreachable"
	case Usage:
		return "usage"
	}
	return "unknown"
}

// Faulter is an error that knows its kind. The kind decides for everything the error
// wraps: a build error that wraps a network error is still a failed build when its type
// says so.
type Faulter interface {
	error
	Fault() Kind
}

// New returns an error of kind k saying text: a package's sentinel error, compared with
// errors.Is, that carries its kind.
func New(k Kind, text string) error { return &sentinel{k, text} }

type sentinel struct {
	k    Kind
	text string
}

func (e *sentinel) Error() string { return e.text }
func (e *sentinel) Fault() Kind   { return e.k }

// KindOf is the kind of err (Unknown for nil): see Classifier.KindOf, with no classifier
// beyond the standard library's network errors.
func KindOf(err error) Kind { return Classifier(nil).KindOf(err) }

// A Classifier classifies one error that neither implements Faulter nor is a standard
// library network fault: the errors of other modules, which this package cannot import
// (go-containerregistry's transport.Error: internal/httpx.KindOf). It returns Unknown
// for an error it does not know; it is not given joined errors, and need not unwrap.
type Classifier func(error) Kind

// KindOf walks err's chain (errors.Unwrap and joined errors). The first error on a branch
// that implements Faulter decides that branch; otherwise c, then Network, classify each
// error on the way, and an error that ends the chain but holds others behind an As
// method is classified by what errors.As finds in it. Joined errors take the highest kind among them (Usage, then
// Unreachable, then Failed).
func (c Classifier) KindOf(err error) Kind {
	for err != nil {
		if f, ok := err.(Faulter); ok {
			return f.Fault()
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			k := Unknown
			for _, e := range j.Unwrap() {
				k = max(k, c.KindOf(e))
			}
			return k
		}
		if c != nil {
			if k := c(err); k != Unknown {
				return k
			}
		}
		if Network(err) {
			return Unreachable
		}
		next := errors.Unwrap(err)
		if next == nil {
			return opaque(err)
		}
		err = next
	}
	return Unknown
}

// opaque classifies an error that holds others behind an As method only, without Unwrap
// (go-containerregistry's ping failures, say): by the first Faulter, else network error,
// that its As finds.
func opaque(err error) Kind {
	a, ok := err.(interface{ As(any) bool })
	if !ok {
		return Unknown
	}
	var f Faulter
	if a.As(&f) {
		return f.Fault()
	}
	var oe *net.OpError
	var de *net.DNSError
	var ue *url.Error
	if a.As(&oe) || a.As(&de) || (a.As(&ue) && ue.Op != "parse") {
		return Unreachable
	}
	return Unknown
}

// Network reports whether err itself (not what it wraps) is a fault of the network or of
// time rather than an answer: a dial or I/O error of the network stack, a failed DNS
// lookup, a failed HTTP request (a *url.Error other than one from url.Parse), a refused,
// reset or broken connection, a timeout, a passed deadline.
func Network(err error) bool {
	switch e := err.(type) {
	case *net.OpError, *net.DNSError:
		return true
	case *url.Error:
		return e.Op != "parse"
	case syscall.Errno:
		// A bare Errno from a file (ENOENT) is also a net.Error: only these and timeouts count.
		return e == syscall.ECONNREFUSED || e == syscall.ECONNRESET || e == syscall.EPIPE || e.Timeout()
	}
	if err == context.DeadlineExceeded { // the node itself: KindOf unwraps
		return true
	}
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
