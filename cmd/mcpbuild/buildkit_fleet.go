package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/session/auth/authprovider"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// several reports whether --buildkit-addr was given more than once: the builds then go
// to a build.Fleet of those daemons.
func (o *buildkitOptions) several() bool { return len(o.addrs) > 1 }

// daemons is the number of BuildKit daemons builds are spread over.
func (o *buildkitOptions) daemons() int { return max(1, len(o.addrs)) }

// fleetDaemon is one --buildkit-addr with its connection options.
type fleetDaemon struct {
	addr string
	opts []build.Option
}

// fleetConnections resolves every --buildkit-addr: the TLS settings (flags, else their
// variables) apply to each tcp:// address, and to no other.
func (o *buildkitOptions) fleetConnections(getenv func(string) string) ([]fleetDaemon, error) {
	tc, err := o.tlsConfig(getenv)
	if err != nil {
		return nil, err
	}
	if tc != nil && !o.anyTCP() {
		return nil, errTLSNeedsTCP(o.addrs[0])
	}
	out := make([]fleetDaemon, len(o.addrs))
	for i, a := range o.addrs {
		if err := build.CheckAddress(a); err != nil {
			return nil, cliutil.Usagef("--buildkit-addr: %v", err)
		}
		out[i].addr = a
		if tc != nil && strings.HasPrefix(a, "tcp://") {
			out[i].opts = []build.Option{build.WithTLS(*tc)}
		}
	}
	return out, nil
}

// daemonName is addr as given, without a password should it carry one: the name of a
// daemon in reports and logs.
func daemonName(addr string) string {
	u, err := url.Parse(addr)
	if err != nil || u.User == nil {
		return addr
	}
	if _, has := u.User.Password(); !has {
		return addr
	}
	u.User = url.User(u.User.Username())
	return u.String()
}

// fleetSession is a build.Fleet over the --buildkit-addr daemons, each opened on its
// first build and closed by Close, with one progress display for all.
type fleetSession struct {
	*build.Fleet
	lazies   []*build.Lazy
	progress *build.Progress
}

// Close closes every daemon's connection, then the progress display.
func (s *fleetSession) Close() error {
	var errs []error
	for _, l := range s.lazies {
		errs = append(errs, l.Close())
	}
	return errors.Join(append(errs, s.progress.Close())...)
}

// openFleet returns a fleet over the --buildkit-addr daemons that builds servers: each
// daemon is connected to on its first build (so a dead one costs nothing until a server
// is sent to it, and is then taken out), every build is bounded by --build-timeout, and
// at most --jobs run on each daemon at once. The progress display is stored in display
// (nil: not needed).
func (o *buildOptions) openFleet(stderr io.Writer, log *slog.Logger, po build.PlanOptions, getenv func(string) string,
	connect time.Duration, servers []*catalog.Server, display *atomic.Pointer[build.Progress]) (*fleetSession, error) {
	if o.buildTimeout <= 0 {
		return nil, cliutil.Usagef("--build-timeout: %v, want a positive duration", o.buildTimeout)
	}
	conns, err := o.buildkit.fleetConnections(getenv)
	if err != nil {
		return nil, err
	}
	progress, err := build.NewProgress(stderr, o.progress)
	if err != nil {
		return nil, cliutil.Usagef("--progress: %v", err)
	}
	auth := authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(config.LoadDefaultConfigFile(stderr)),
	})
	s := &fleetSession{progress: progress}
	var daemons []build.Daemon
	for _, c := range conns {
		name := daemonName(c.addr)
		lazy, err := build.NewLazy(func(ctx context.Context) (build.Builder, error) {
			bk, err := build.NewBuildKit(ctx, c.addr, po, append(c.opts, build.WithLogger(log.With("builder", name)),
				build.WithProgress(progress.Tagged(name)), build.WithSession(auth), build.WithConnectTimeout(connect))...)
			if err != nil {
				return nil, err
			}
			return &closingDeadline{Deadline: build.Deadline{Builder: bk, D: o.buildTimeout}, bk: bk}, nil
		})
		if err != nil {
			_ = s.Close()
			return nil, err
		}
		s.lazies = append(s.lazies, lazy)
		daemons = append(daemons, build.Daemon{Name: name, Builder: lazy})
	}
	s.Fleet, err = build.NewFleet(daemons, build.FleetLogger(log), build.FleetMirrors(po.Mirrors),
		build.FleetParallelism(o.jobs), build.FleetPlan(servers))
	if err != nil {
		_ = s.Close()
		return nil, cliutil.Usagef("%v", err) // --jobs
	}
	if display != nil {
		display.Store(progress)
	}
	log.Info("spreading builds over BuildKit daemons", "builders", len(daemons), "assignment", s.Assignment())
	return s, nil
}

// fleetBuilder is openFleet as a build.Builder (no typed nil on error), for build.Lazy.
func (o *buildOptions) fleetBuilder(stderr io.Writer, log *slog.Logger, po build.PlanOptions, getenv func(string) string,
	connect time.Duration, servers []*catalog.Server, display *atomic.Pointer[build.Progress]) (build.Builder, error) {
	fs, err := o.openFleet(stderr, log, po, getenv, connect, servers, display)
	if err != nil {
		return nil, err
	}
	return fs, nil
}

// closingDeadline is a daemon's BuildKit with each build bounded; closing it closes the
// connection (build.Lazy closes what it opened).
type closingDeadline struct {
	build.Deadline
	bk *build.BuildKit
}

func (c *closingDeadline) Close() error { return c.bk.Close() }

// buildOnFleet is runBuild's building over several daemons: one row per entry.
func (o *buildOptions) buildOnFleet(ctx context.Context, stderr io.Writer, log *slog.Logger, po build.PlanOptions,
	getenv func(string) string, connect time.Duration, entries []entry) ([]buildRow, error) {
	fs, err := o.openFleet(stderr, log, po, getenv, connect, buildable(entries), nil)
	if err != nil {
		return nil, errors.Join(append(invalidErrs(entries), err)...)
	}
	rows, err := buildRows(ctx, fs, entries)
	if cerr := fs.Close(); cerr != nil {
		log.Warn("progress display", "error", cerr)
	}
	return rows, err
}
