package httpx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mcpbuild/mcpbuild/fault"
)

// Error is a request that failed without an answer to hand on: it timed out, the
// connection failed (after the retries allowed), the caller's context ended, or the server
// asked to retry later than this client waits. It names the service and the request.
type Error struct {
	Service    string        // "<service> <host>" (WithService, WithHostService), or the host
	Method     string        // GET, PUT...
	Path       string        // the URL path; never the query or credentials
	Attempts   int           // attempts made
	StatusCode int           // the last answer's status, 0 when there was none
	TimedOut   time.Duration // the request timeout that expired; 0 when none did
	Err        error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s %s: %v", e.Service, e.Method, e.Path, e.Err)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (%d attempts)", e.Attempts)
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Fault is fault.Unreachable: the request got no answer to hand on.
func (e *Error) Fault() fault.Kind { return fault.Unreachable }

// Timeout reports whether the request ran out of time: its own timeout, or the caller's
// deadline.
func (e *Error) Timeout() bool {
	return e.TimedOut > 0 || errors.Is(e.Err, context.DeadlineExceeded)
}

// timeoutError is a request's own timeout expiring; it is a context.DeadlineExceeded.
type timeoutError struct {
	after time.Duration
	what  string // "" or "reading the response body"
}

func (e *timeoutError) Error() string {
	if e.what != "" {
		return fmt.Sprintf("%s: timed out after %v", e.what, e.after)
	}
	return fmt.Sprintf("timed out after %v", e.after)
}

func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// newError names req (the caller's request, not an attempt's clone) in err.
func (t *Transport) newError(req *http.Request, attempts int, err error) *Error {
	svc := req.URL.Host
	if name := t.o.hostService[svc]; name != "" {
		svc = name + " " + svc
	} else if t.o.service != "" {
		svc = t.o.service + " " + svc
	}
	e := &Error{Service: svc, Method: req.Method, Path: req.URL.EscapedPath(), Attempts: attempts, Err: err}
	var te *timeoutError
	if errors.As(err, &te) {
		e.TimedOut = te.after
	}
	return e
}
