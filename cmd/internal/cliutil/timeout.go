package cliutil

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/mcpbuild/mcpbuild/fault"
	"github.com/mcpbuild/mcpbuild/internal/httpx"
)

// Timeouts are a command's deadlines: --timeout bounds the whole command (0: none),
// --request-timeout each network request (always set).
type Timeouts struct {
	Command    time.Duration
	Request    time.Duration
	commandEnv string
}

// AddFlags registers --timeout (default $commandEnv, else commandDefault) and
// --request-timeout (default $MCPBUILD_REQUEST_TIMEOUT, else httpx.DefaultRequestTimeout).
func (t *Timeouts) AddFlags(fs *pflag.FlagSet, commandDefault time.Duration, commandEnv string) {
	t.commandEnv = commandEnv
	fs.DurationVar(&t.Command, "timeout", commandDefault,
		fmt.Sprintf("give up on the whole command after this long (exit 3), 0 for no limit; $%s when not given", commandEnv))
	fs.DurationVar(&t.Request, "request-timeout", httpx.DefaultRequestTimeout,
		fmt.Sprintf("give up on a registry or Rekor request not finished, body included, after this long (exit 3); $%s when not given", EnvRequestTimeout))
}

// Resolve fills the flags not given from the environment and checks them; every error is
// a usage error naming the flag or variable.
func (t *Timeouts) Resolve(fs *pflag.FlagSet, getenv func(string) string) error {
	for _, f := range []struct {
		flag, env string
		v         *time.Duration
	}{{"timeout", t.commandEnv, &t.Command}, {"request-timeout", EnvRequestTimeout, &t.Request}} {
		src := "--" + f.flag
		if fl := fs.Lookup(f.flag); fl != nil && !fl.Changed && f.env != "" {
			if s := getenv(f.env); s != "" {
				d, err := time.ParseDuration(s)
				if err != nil {
					return Usagef("$%s %q: want a duration such as 30s or 5m", f.env, s)
				}
				src, *f.v = "$"+f.env, d
			}
		}
		switch {
		case *f.v < 0:
			return Usagef("%s %v: must not be negative", src, *f.v)
		case *f.v == 0 && f.flag == "request-timeout":
			return Usagef("%s 0: every request needs a deadline", src)
		}
	}
	return nil
}

// WithDeadline returns ctx bounded by --timeout (unchanged but cancellable when it is 0).
// Past the deadline, context.Cause(ctx) is a *TimeoutError naming the flag.
func (t *Timeouts) WithDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if t.Command <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, t.Command, &TimeoutError{After: t.Command, Flag: "--timeout", Err: context.DeadlineExceeded})
}

// Err marks err as the command running out of time when ctx's deadline (WithDeadline's)
// has passed; otherwise it returns err unchanged.
func (t *Timeouts) Err(ctx context.Context, err error) error {
	if err == nil || t.Command <= 0 || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err
	}
	return &TimeoutError{After: t.Command, Flag: "--timeout", Err: err}
}

// TimeoutError is a command stopped by its deadline (exit 3): nothing was decided.
type TimeoutError struct {
	After time.Duration
	Flag  string
	Err   error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("timed out after %v (%s): %v", e.After, e.Flag, e.Err)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// Fault is fault.Unreachable: nothing was decided.
func (e *TimeoutError) Fault() fault.Kind { return fault.Unreachable }
