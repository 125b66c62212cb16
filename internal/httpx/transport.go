package httpx

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Transport is an http.RoundTripper with a deadline per request and bounded retries (see
// the package documentation). It is safe for concurrent use.
type Transport struct {
	inner http.RoundTripper
	o     options
}

var _ http.RoundTripper = (*Transport)(nil)

// RoundTrip sends req, retrying as the policy allows. A response it returns has a body
// that must be closed (or read to its end) to release the request's timer.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	canRetry := t.o.retries > 0 && replayable(req)
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeoutCause(ctx, t.o.timeout, &timeoutError{after: t.o.timeout})
		areq := req.Clone(actx)
		if attempt > 1 && req.GetBody != nil {
			b, err := req.GetBody()
			if err != nil {
				cancel()
				return nil, t.newError(req, attempt-1, fmt.Errorf("reading the request body again: %w", err))
			}
			areq.Body = b
		}
		resp, err := t.inner.RoundTrip(areq)
		if err != nil {
			err = attemptErr(ctx, actx, err)
			cancel()
			final := !canRetry || attempt > t.o.retries || ctx.Err() != nil || isTimeout(err) || !retryNetErr(err)
			if final {
				return nil, t.newError(req, attempt, err)
			}
			wait := t.backoff(attempt)
			if passes(ctx, wait) {
				return nil, t.newError(req, attempt, err)
			}
			t.log(req, attempt, wait, "error", err.Error())
			if err := sleep(ctx, wait); err != nil {
				return nil, t.newError(req, attempt, err)
			}
			continue
		}
		if !canRetry || attempt > t.o.retries || !retryStatus(resp.StatusCode) {
			return t.hand(req, resp, attempt, actx, cancel), nil
		}
		wait, asked := retryAfter(resp.Header, time.Now())
		if !asked {
			wait = t.backoff(attempt)
		}
		var giveUp error
		switch {
		case asked && wait > t.o.maxRetryAfter:
			giveUp = fmt.Errorf("%s; asked to retry after %v, longer than the %v this client waits", resp.Status, wait, t.o.maxRetryAfter)
		case asked && passes(ctx, wait):
			dl, _ := ctx.Deadline()
			giveUp = fmt.Errorf("%s; asked to retry after %v, past the deadline (in %v)", resp.Status, wait, time.Until(dl).Round(time.Millisecond))
		case passes(ctx, wait):
			return t.hand(req, resp, attempt, actx, cancel), nil // no time for another try: the answer stands
		}
		status := resp.StatusCode
		discard(resp)
		cancel()
		if giveUp != nil {
			e := t.newError(req, attempt, giveUp)
			e.StatusCode = status
			return nil, e
		}
		t.log(req, attempt, wait, "status", status)
		if err := sleep(ctx, wait); err != nil {
			e := t.newError(req, attempt, err)
			e.StatusCode = status
			return nil, e
		}
	}
}

// CloseIdleConnections closes the inner transport's idle connections, if it has any.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.inner.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// hand returns resp to the caller with a body that keeps the attempt's deadline until it is
// read to its end or closed.
func (t *Transport) hand(req *http.Request, resp *http.Response, attempts int, actx context.Context, cancel context.CancelFunc) *http.Response {
	if resp.Body == nil || resp.Body == http.NoBody {
		cancel()
		return resp
	}
	resp.Body = &body{rc: resp.Body, t: t, req: req, attempts: attempts, cancel: cancel,
		cause: func() error { return context.Cause(actx) }}
	return resp
}

func (t *Transport) log(req *http.Request, attempt int, wait time.Duration, k string, v any) {
	t.o.logger.Info("retrying request", "host", req.URL.Host, "method", req.Method, "path", req.URL.EscapedPath(),
		"attempt", attempt, k, v, "wait", wait.Round(time.Millisecond))
}

// attemptErr says why an attempt failed: the caller's context ended, the attempt's own
// timeout expired (a *timeoutError), or the network error as it is.
func attemptErr(ctx, actx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if actx.Err() != nil {
		return context.Cause(actx)
	}
	return err
}

func isTimeout(err error) bool {
	_, ok := err.(*timeoutError)
	return ok
}

// passes reports whether waiting d would end after ctx's deadline.
func passes(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < d
}

func sleep(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// discard reads a little of an answer being retried (so the connection can be reused) and
// closes it.
func discard(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	_ = resp.Body.Close()
}
