package httpx

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// replayable reports whether req may be sent again: an idempotent method (or an
// Idempotency-Key), a body that can be read again, and not an OCI upload session.
func replayable(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
	default:
		if req.Header.Get("Idempotency-Key") == "" && req.Header.Get("X-Idempotency-Key") == "" {
			return false
		}
	}
	// An upload location is single-use: a PATCH or PUT to it cannot be replayed.
	if strings.Contains(req.URL.Path, "/blobs/uploads/") {
		return false
	}
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// retryNetErr reports whether a failure without an answer is worth another try: the
// connection was dropped, reset or closed on the way. Anything else is not: a connection
// that could not be made (refused, no such host: nothing is there to answer, and saying
// so fast matters more than waiting for a restart), a TLS failure (also what probing
// https:// on a plain-HTTP registry gives), a malformed answer.
func retryNetErr(err error) bool {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// retryStatus reports whether a server's answer says "try again".
func retryStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff is the wait before retry n (1, 2, ...): base doubling, at most maxBackoff, drawn
// at random between half and all of it.
func (t *Transport) backoff(n int) time.Duration {
	d := t.o.backoff
	for i := 1; i < n && d < t.o.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, t.o.maxBackoff)
	return d/2 + rand.N(d/2+1)
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date. ok is false when
// the header is absent or malformed.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(min(s, 1<<20)) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(0, at.Sub(now)), true
}
