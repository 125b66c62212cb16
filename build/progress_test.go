package build

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/mcpbuild/mcpbuild/internal/ptytest"
)

// Two solves share one plain display; everything sent before Close is shown.
func TestProgressSharedDisplay(t *testing.T) {
	var buf bytes.Buffer
	p, err := NewProgress(&buf, "plain")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, n := range []string{"first build step", "second build step"} {
		ch := p.channel()
		wg.Go(func() {
			now := time.Now()
			ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: digest.FromString(n), Name: n, Started: &now, Completed: &now}}}
			close(ch) // as client.Solve does
		})
	}
	wg.Wait()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"first build step", "second build step"} {
		if !strings.Contains(buf.String(), n) {
			t.Errorf("progress output lacks %q:\n%s", n, buf.String())
		}
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
}

func TestProgressModes(t *testing.T) {
	var buf bytes.Buffer
	p, err := NewProgress(&buf, "quiet")
	if err != nil {
		t.Fatal(err)
	}
	ch := p.channel()
	now := time.Now()
	ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: digest.FromString("q"), Name: "quiet step", Started: &now, Completed: &now}}}
	close(ch)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("quiet mode wrote %q", buf.String())
	}
	if _, err := NewProgress(&buf, "fancy"); err == nil {
		t.Error(`NewProgress("fancy") = nil error`)
	}
}

// On a terminal the display repaints; lines shown with Line are part of it and are all on
// the final screen, in order with the solves' steps, while a solve runs in parallel.
func TestProgressLineOnTerminal(t *testing.T) {
	term := ptytest.Open(t, 100, 120)
	p, err := NewProgress(term.TTY, "auto")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Repaints() {
		t.Fatal("Repaints() = false on a terminal")
	}
	ch := p.channel()
	start := time.Now()
	step := &client.Vertex{Digest: digest.FromString("step"), Name: "[1/1] a build step", Started: &start}
	ch <- &client.SolveStatus{Vertexes: []*client.Vertex{step}}
	var want []string
	for i := range 6 {
		msg := fmt.Sprintf("server%d: signing", i)
		want = append(want, msg)
		if !p.Line(msg) {
			t.Fatalf("Line(%q) = false before Close", msg)
		}
		time.Sleep(60 * time.Millisecond) // let the display repaint in between
	}
	end := time.Now()
	done := *step
	done.Completed = &end
	ch <- &client.SolveStatus{Vertexes: []*client.Vertex{&done}}
	close(ch)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if p.Line("late") {
		t.Error("Line after Close = true")
	}
	term.Close()
	screen := strings.Join(term.Screen(), "\n")
	last := -1
	for _, msg := range append([]string{"a build step"}, want...) { // in order of start
		i := strings.Index(screen, msg)
		if i < 0 {
			t.Fatalf("screen lacks %q:\n%s", msg, screen)
		}
		if i < last {
			t.Errorf("%q out of order on screen:\n%s", msg, screen)
		}
		last = i
	}
}

// Not a terminal, or a plain or quiet display: nothing repaints, Line still works.
func TestProgressRepaints(t *testing.T) {
	term := ptytest.Open(t, 24, 80)
	for _, c := range []struct {
		w    io.Writer
		mode string
		want bool
	}{
		{term.TTY, "auto", true}, {term.TTY, "tty", true}, {term.TTY, "plain", false},
		{term.TTY, "quiet", false}, {&bytes.Buffer{}, "auto", false}, {&bytes.Buffer{}, "plain", false},
	} {
		p, err := NewProgress(c.w, c.mode)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Repaints(); got != c.want {
			t.Errorf("mode %s on %T: Repaints() = %v, want %v", c.mode, c.w, got, c.want)
		}
		if !p.Line("x: checking") {
			t.Errorf("mode %s: Line before Close = false", c.mode)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
