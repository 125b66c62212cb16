package build

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/moby/buildkit/session"
)

// Option configures NewBuildKit.
type Option func(*options) error

type options struct {
	logger         *slog.Logger
	progress       *Progress
	attachables    []session.Attachable
	provenance     bool
	connectTimeout time.Duration
	tls            *TLSConfig
}

func defaultOptions() options {
	return options{
		logger:         slog.New(slog.DiscardHandler),
		provenance:     true,
		connectTimeout: 10 * time.Second,
	}
}

// WithLogger sets where the builder logs (default: nowhere).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return fmt.Errorf("WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithProgress shows every solve's status on p.
func WithProgress(p *Progress) Option {
	return func(o *options) error { o.progress = p; return nil }
}

// WithSession adds session attachables to every solve, e.g. a registry auth provider.
func WithSession(a ...session.Attachable) Option {
	return func(o *options) error { o.attachables = append(o.attachables, a...); return nil }
}

// WithoutProvenance skips reading the provenance from buildkitd's build history
// (Result.Provenance stays nil), for buildkitd instances with history disabled.
func WithoutProvenance() Option {
	return func(o *options) error { o.provenance = false; return nil }
}

// WithConnectTimeout bounds the initial handshake with buildkitd (default 10s).
func WithConnectTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("WithConnectTimeout: %v is not positive", d)
		}
		o.connectTimeout = d
		return nil
	}
}
