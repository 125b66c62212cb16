package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// body is a response body under its request's deadline: the timer ends at EOF or Close,
// and a read cut off by it fails with an *Error naming the request.
type body struct {
	rc       io.ReadCloser
	t        *Transport
	req      *http.Request
	attempts int
	cause    func() error // why the attempt's context ended (nil while it runs)
	cancel   context.CancelFunc
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		b.cancel()
	default:
		var te *timeoutError
		if errors.As(b.cause(), &te) {
			err = &timeoutError{after: te.after, what: "reading the response body"}
		} else if b.req.Context().Err() != nil {
			err = fmt.Errorf("reading the response body: %w", context.Cause(b.req.Context()))
		} else {
			err = fmt.Errorf("reading the response body: %w", err)
		}
		err = b.t.newError(b.req, b.attempts, err)
	}
	return n, err
}

func (b *body) Close() error {
	err := b.rc.Close()
	b.cancel()
	return err
}
