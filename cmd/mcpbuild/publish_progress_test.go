package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/internal/ptytest"
)

var statusSample = []string{
	"fetch: checking 127.0.0.1:15000/mcp/fetch:latest",
	"time: checking 127.0.0.1:15000/mcp/time:latest",
	"fetch: building",
	"time: building",
	"fetch: signing 127.0.0.1:15000/mcp/fetch@sha256:00",
	"fetch: attesting provenance",
	"time: failed: build of server time: boom",
	"fetch: published 127.0.0.1:15000/mcp/fetch@sha256:00",
}

// writeStatus writes lines as publish.Publisher does: one Write per line.
func writeStatus(t *testing.T, s *statusLines, lines []string) {
	t.Helper()
	for _, l := range lines {
		if _, err := fmt.Fprintf(s, "%s\n", l); err != nil {
			t.Fatal(err)
		}
	}
}

// Not a terminal: the lines go to stderr as they are, in order, before and after a
// (plain) build display exists, and with --progress plain or quiet.
func TestStatusLinesPlain(t *testing.T) {
	for _, mode := range []string{"auto", "plain", "quiet"} {
		var stderr, display bytes.Buffer
		var current atomic.Pointer[build.Progress]
		s := &statusLines{w: &stderr, display: &current}
		writeStatus(t, s, statusSample[:2])
		p, err := build.NewProgress(&display, mode)
		if err != nil {
			t.Fatal(err)
		}
		current.Store(p)
		writeStatus(t, s, statusSample[2:])
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if got, want := stderr.String(), strings.Join(statusSample, "\n")+"\n"; got != want {
			t.Errorf("mode %s: stderr =\n%s\nwant\n%s", mode, got, want)
		}
		if display.Len() != 0 {
			t.Errorf("mode %s: the build display got %q", mode, display.String())
		}
	}
}

// On a terminal, lines written while the build display runs go through it (stderr gets
// none of them) and are all on the final screen in order; before the display opens and
// after it closed they are plain lines.
func TestStatusLinesTerminal(t *testing.T) {
	term := ptytest.Open(t, 60, 100)
	var direct bytes.Buffer
	var display atomic.Pointer[build.Progress]
	s := &statusLines{w: &direct, display: &display}
	writeStatus(t, s, statusSample[:2])
	p, err := build.NewProgress(term.TTY, "auto")
	if err != nil {
		t.Fatal(err)
	}
	display.Store(p)
	writeStatus(t, s, statusSample[2:5])
	if _, err := s.Write([]byte(statusSample[5] + "\n" + statusSample[6] + "\n")); err != nil { // two in one Write
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	writeStatus(t, s, statusSample[7:])
	term.Close()
	if got, want := direct.String(), strings.Join(append(statusSample[:2:2], statusSample[7]), "\n")+"\n"; got != want {
		t.Errorf("plain lines =\n%s\nwant\n%s", got, want)
	}
	screen := strings.Join(term.Screen(), "\n")
	last := -1
	for _, l := range statusSample[2:7] {
		i := strings.Index(screen, l)
		if i < 0 {
			t.Fatalf("screen lacks %q:\n%s", l, screen)
		}
		if i < last {
			t.Errorf("%q out of order on screen:\n%s", l, screen)
		}
		last = i
	}
}
