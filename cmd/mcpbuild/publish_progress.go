package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/mcpbuild/mcpbuild/build"
)

// buildkitSession is the builder publish opens on its first build (build.Lazy): BuildKit
// with each build bounded by --build-timeout. Close closes BuildKit, then its progress
// display.
type buildkitSession struct {
	build.Builder
	bk       *build.BuildKit
	progress *build.Progress
}

func (s *buildkitSession) Close() error {
	_ = s.bk.Close()
	return s.progress.Close()
}

// openSession connects to BuildKit (as mcpbuild build does) and stores its progress
// display in display, where statusLines finds it.
func openSession(ctx context.Context, bo *buildOptions, stderr io.Writer, log *slog.Logger, po build.PlanOptions,
	getenv func(string) string, connect time.Duration, display *atomic.Pointer[build.Progress]) (build.Builder, error) {
	bk, p, err := bo.openBuildKit(ctx, stderr, log, po, getenv, connect)
	if err != nil {
		return nil, err
	}
	s := &buildkitSession{bk: bk, progress: p}
	if s.Builder, err = build.NewDeadline(bk, bo.buildTimeout); err != nil {
		_ = s.Close()
		return nil, err
	}
	display.Store(p)
	return s, nil
}

// statusLines carries publish's per-server progress lines ("<server>: building"...). While
// BuildKit's display repaints a terminal they go through that display, which would
// otherwise paint over them; else (no build yet, not a terminal, --progress plain or
// quiet, display closed) they are written to w as plain lines, in order.
type statusLines struct {
	w       io.Writer
	display *atomic.Pointer[build.Progress]
}

func (s *statusLines) Write(b []byte) (int, error) {
	p := s.display.Load()
	if p == nil || !p.Repaints() {
		return s.w.Write(b)
	}
	rest := b
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if len(line) == 0 {
			continue
		}
		if !p.Line(string(line)) { // closed meanwhile
			if _, err := s.w.Write(append(bytes.Clone(line), '\n')); err != nil {
				return 0, err
			}
		}
	}
	return len(b), nil
}
