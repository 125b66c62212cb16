package httpx

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Defaults of the retry and timeout policy (see the package documentation).
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultRetries        = 3
	defaultBackoff        = 500 * time.Millisecond
	defaultMaxBackoff     = 5 * time.Second
	defaultMaxRetryAfter  = 10 * time.Second
)

// Option configures New. A later option of the same kind replaces an earlier one; options
// that contradict each other (retry settings with WithRetries(0)) make New fail.
type Option func(*options) error

type options struct {
	service       string
	hostService   map[string]string
	timeout       time.Duration
	retries       int
	backoff       time.Duration
	maxBackoff    time.Duration
	maxRetryAfter time.Duration
	logger        *slog.Logger
	retryTuned    string // the retry setting given, if any
}

// WithService names what the transport talks to ("registry", "Rekor"); errors say
// "<service> <host>: ...". Default: the host alone.
func WithService(name string) Option {
	return func(o *options) error {
		o.service = name
		return nil
	}
}

// WithHostService names what the transport talks to at host (host[:port] as in the URL)
// when it is not WithService's: a transport shared by registry and Rekor requests.
func WithHostService(host, name string) Option {
	return func(o *options) error {
		if host == "" || name == "" {
			return errors.New("WithHostService: empty host or name")
		}
		if o.hostService == nil {
			o.hostService = map[string]string{}
		}
		o.hostService[host] = name
		return nil
	}
}

// WithRequestTimeout bounds each attempt of a request, body included (default 30 s).
func WithRequestTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("WithRequestTimeout: %v is not positive", d)
		}
		o.timeout = d
		return nil
	}
}

// WithRetries sets how many times a failed request may be retried (default 3; 0: never).
func WithRetries(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("WithRetries: %d is negative", n)
		}
		o.retries = n
		return nil
	}
}

// WithBackoff sets the first wait between attempts and the longest one (default 500 ms,
// 5 s); each wait doubles the previous one.
func WithBackoff(base, maxWait time.Duration) Option {
	return func(o *options) error {
		if base <= 0 || maxWait < base {
			return fmt.Errorf("WithBackoff(%v, %v): want 0 < base <= max", base, maxWait)
		}
		o.backoff, o.maxBackoff = base, maxWait
		o.retryTuned = "WithBackoff"
		return nil
	}
}

// WithMaxRetryAfter sets the longest Retry-After honoured (default 10 s); a server asking
// for more gets an error at once instead.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("WithMaxRetryAfter: %v is negative", d)
		}
		o.maxRetryAfter = d
		o.retryTuned = "WithMaxRetryAfter"
		return nil
	}
}

// WithLogger sets where retries are logged (default: nowhere).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// New returns a Transport sending requests through inner (e.g. http.DefaultTransport).
func New(inner http.RoundTripper, opts ...Option) (*Transport, error) {
	if inner == nil {
		return nil, errors.New("httpx.New: nil inner transport")
	}
	o := options{
		timeout:       DefaultRequestTimeout,
		retries:       DefaultRetries,
		backoff:       defaultBackoff,
		maxBackoff:    defaultMaxBackoff,
		maxRetryAfter: defaultMaxRetryAfter,
		logger:        slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("httpx.New: %w", err)
		}
	}
	if o.retries == 0 && o.retryTuned != "" {
		return nil, fmt.Errorf("httpx.New: %s given with WithRetries(0)", o.retryTuned)
	}
	return &Transport{inner: inner, o: o}, nil
}
