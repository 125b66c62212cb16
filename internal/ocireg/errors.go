package ocireg

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mcpbuild/mcpbuild/fault"
)

// ErrNotFound is what an Error for a 404 answer is (errors.Is): the registry says the
// thing does not exist, the only proof of absence.
var ErrNotFound = errors.New("not found")

// Error is a failed read: the registry answered a status other than 200 (StatusCode), the
// request failed (the cause is wrapped), or what was served is not what was asked for
// (StatusCode 0: another digest, size or media type, not a manifest, over a bound).
// Except for a 404 it means the registry could not be checked.
type Error struct {
	StatusCode int // the HTTP status when it was not 200; 0 otherwise
	err        error
}

func (e *Error) Error() string { return e.err.Error() }
func (e *Error) Unwrap() error { return e.err }

// Fault is fault.Unreachable: a failed read decides nothing (a 404 proves absence only to
// a caller that asks for it, with errors.Is(err, ErrNotFound)).
func (e *Error) Fault() fault.Kind { return fault.Unreachable }

// Is makes an Error for a 404 match ErrNotFound.
func (e *Error) Is(target error) bool {
	return target == ErrNotFound && e.StatusCode == http.StatusNotFound
}

// badContent is the registry serving something other than what was asked for.
func badContent(format string, a ...any) error {
	return &Error{err: fmt.Errorf(format, a...)}
}

// failed wraps the cause of a read that got no usable answer (network, auth, deadline).
func failed(what string, err error) error {
	return &Error{err: fmt.Errorf("reading %s: %w", what, err)}
}

// statusError is the error of an answer other than 200, naming the status and the first
// error code of a registry error body.
func statusError(what string, resp *http.Response) error {
	return &Error{StatusCode: resp.StatusCode, err: fmt.Errorf("reading %s: registry answered %d %s%s",
		what, resp.StatusCode, http.StatusText(resp.StatusCode), errorCodes(resp.Body))}
}

// maxErrorBody bounds what is read of an error answer's body.
const maxErrorBody = 4 << 10

// errorCodes returns the codes and messages of a registry error body (distribution's
// {"errors":[{"code","message"}]}), as ": CODE: message", sanitized and short; "" when
// the body is not one.
func errorCodes(body io.Reader) string {
	var e struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	raw, _ := io.ReadAll(io.LimitReader(body, maxErrorBody))
	if json.Unmarshal(raw, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	s := e.Errors[0].Code
	if e.Errors[0].Message != "" {
		s += ": " + e.Errors[0].Message
	}
	return ": " + Printable(s, 200)
}

// Printable keeps text from a registry safe to print: printable ASCII only, at most n
// bytes.
func Printable(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= n {
			b.WriteString("...")
			break
		}
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}
