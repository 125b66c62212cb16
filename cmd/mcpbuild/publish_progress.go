package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/sign"
)

// lazyBuilder connects to BuildKit on the first build only, so that a publish with every
// server unchanged neither needs nor contacts BuildKit.
type lazyBuilder struct {
	open     func(ctx context.Context) (*build.BuildKit, *build.Progress, error)
	timeout  time.Duration // each build's deadline (build.Deadline)
	once     sync.Once
	bk       *build.BuildKit
	progress atomic.Pointer[build.Progress] // set once open succeeded; read by statusLines
	err      error
}

func (l *lazyBuilder) build(ctx context.Context, s *catalog.Server) (*sign.Built, error) {
	l.once.Do(func() {
		var p *build.Progress
		l.bk, p, l.err = l.open(ctx)
		if l.err == nil {
			l.progress.Store(p)
		}
	})
	if l.err != nil {
		return nil, l.err
	}
	b, err := build.NewDeadline(l.bk, l.timeout)
	if err != nil {
		return nil, err
	}
	res, err := b.Build(ctx, s)
	if err != nil {
		return nil, err
	}
	if res.Provenance == nil {
		return nil, errors.New("build of server " + s.Name + " returned no provenance")
	}
	return &sign.Built{Image: res.Image, Provenance: res.Provenance}, nil
}

func (l *lazyBuilder) close(log interface{ Warn(string, ...any) }) {
	if l.bk != nil {
		_ = l.bk.Close()
	}
	if p := l.progress.Load(); p != nil {
		if err := p.Close(); err != nil {
			log.Warn("progress display", "error", err)
		}
	}
}

// statusLines carries publish's per-server progress lines ("<server>: building"...). While
// BuildKit's display repaints a terminal they go through that display, which would
// otherwise paint over them; else (no build yet, not a terminal, --progress plain or
// quiet, display closed) they are written to w as plain lines, in order.
type statusLines struct {
	w  io.Writer
	lb *lazyBuilder
}

func (s *statusLines) Write(b []byte) (int, error) {
	p := s.lb.progress.Load()
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
