package cliutil

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/mcpbuild/mcpbuild/internal/httpx"
)

func TestTransportErrorsAreTransient(t *testing.T) {
	for _, err := range []error{
		&httpx.Error{Service: "registry r", Method: "GET", Path: "/v2/", Err: errors.New("asked to retry after 2m0s")},
		&TimeoutError{After: time.Second, Flag: "--timeout", Err: errors.New("solve canceled")},
	} {
		if got := ExitCode(err, ExitFailed); got != ExitUnreachable {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, ExitUnreachable)
		}
	}
}

func newTimeouts(t *testing.T, def time.Duration, args ...string) (*Timeouts, *pflag.FlagSet) {
	t.Helper()
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	to := &Timeouts{}
	to.AddFlags(fs, def, EnvVerifyTimeout)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return to, fs
}

func TestTimeoutsFlagsAndEnvironment(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		name          string
		args          []string
		env           map[string]string
		command, each time.Duration
	}{
		{"defaults", nil, nil, 2 * time.Minute, httpx.DefaultRequestTimeout},
		{"flags", []string{"--timeout", "10s", "--request-timeout", "3s"}, nil, 10 * time.Second, 3 * time.Second},
		{"environment", nil, map[string]string{EnvVerifyTimeout: "1m", EnvRequestTimeout: "5s"}, time.Minute, 5 * time.Second},
		{"flags win", []string{"--timeout", "10s", "--request-timeout", "3s"}, map[string]string{EnvVerifyTimeout: "1m", EnvRequestTimeout: "5s"}, 10 * time.Second, 3 * time.Second},
		{"no command limit", []string{"--timeout", "0"}, nil, 0, httpx.DefaultRequestTimeout},
		{"another binary's variable is ignored", nil, map[string]string{EnvBuildTimeout: "1s"}, 2 * time.Minute, httpx.DefaultRequestTimeout},
	} {
		to, fs := newTimeouts(t, 2*time.Minute, tc.args...)
		if err := to.Resolve(fs, env(tc.env)); err != nil || to.Command != tc.command || to.Request != tc.each {
			t.Errorf("%s: %+v, %v; want %v and %v", tc.name, to, err, tc.command, tc.each)
		}
	}
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--request-timeout", "0"}, nil, "--request-timeout"},
		{[]string{"--timeout", "-1s"}, nil, "--timeout"},
		{nil, map[string]string{EnvRequestTimeout: "soon"}, "$" + EnvRequestTimeout},
		{nil, map[string]string{EnvVerifyTimeout: "-5s"}, "$" + EnvVerifyTimeout},
		{nil, map[string]string{EnvRequestTimeout: "0"}, "$" + EnvRequestTimeout},
	} {
		to, fs := newTimeouts(t, time.Minute, tc.args...)
		err := to.Resolve(fs, env(tc.env))
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: %v; want a usage error naming %s", tc.args, tc.env, err, tc.want)
		}
	}
}

func TestTimeoutsDeadlineAndError(t *testing.T) {
	to := &Timeouts{Command: 50 * time.Millisecond, Request: time.Second}
	ctx, cancel := to.WithDeadline(context.Background())
	defer cancel()
	<-ctx.Done()
	err := to.Err(ctx, errors.New("pushing: context deadline exceeded"))
	var te *TimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "timed out after 50ms (--timeout): pushing") {
		t.Errorf("Err = %v", err)
	}
	if to.Err(ctx, nil) != nil {
		t.Error("no error became one")
	}
	// Without a command limit there is no deadline, and errors pass unchanged.
	none := &Timeouts{Request: time.Second}
	ctx, cancel = none.WithDeadline(context.Background())
	defer cancel()
	if _, ok := ctx.Deadline(); ok {
		t.Error("--timeout 0 set a deadline")
	}
	plain := errors.New("x")
	if none.Err(ctx, plain) != plain {
		t.Error("error changed without a deadline")
	}
}
