package build

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/containerd/console"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/progress/progressui"
	digest "github.com/opencontainers/go-digest"
)

// Progress shows the status of every solve of a run in one display (builds running in
// parallel share it). It runs on its own context so that the last messages, the failing
// step's logs included, are still printed when the run's context is cancelled.
type Progress struct {
	ch       chan *client.SolveStatus
	done     chan struct{}
	wg       sync.WaitGroup // forwarders still running
	once     sync.Once
	err      error
	repaints bool

	mu     sync.Mutex // guards closed and n, and orders Line against Close
	closed bool
	n      int // lines sent by Line, for unique vertex digests

	// A view made by Tagged: its solves go to display, tagged.
	display *Progress
	tag     string
}

// Tagged returns a view of p for one of several daemons sharing the display: give it to
// that daemon's NewBuildKit (WithProgress). Its solves' steps are shown as "[tag] step",
// with vertex digests of their own, so that the same step run by two daemons shows as
// two steps rather than one. Line, Repaints and Close are p's.
func (p *Progress) Tagged(tag string) *Progress {
	if p.display != nil {
		p = p.display
	}
	return &Progress{display: p, tag: tag}
}

// NewProgress starts a display writing to w in mode: "auto" (tty when w is a terminal,
// else plain), "plain", "tty", "quiet" or "rawjson".
func NewProgress(w io.Writer, mode string) (*Progress, error) {
	d, err := progressui.NewDisplay(w, progressui.DisplayMode(mode))
	if err != nil {
		return nil, err
	}
	p := &Progress{ch: make(chan *client.SolveStatus), done: make(chan struct{})}
	switch progressui.DisplayMode(mode) {
	case progressui.AutoMode, progressui.TtyMode, progressui.DefaultMode:
		p.repaints = isConsole(w) // the test progressui.NewDisplay makes
	}
	go func() {
		defer close(p.done)
		// Own context: cancellation of the run must not cut the final output.
		_, p.err = d.UpdateFrom(context.Background(), p.ch)
	}()
	return p, nil
}

func isConsole(w io.Writer) bool {
	f, ok := w.(console.File)
	if !ok {
		return false
	}
	_, err := console.ConsoleFromFile(f)
	return err == nil
}

// Repaints reports whether the display redraws a terminal in place. Anything else written
// to that terminal while the display runs may be painted over: show it with Line instead.
func (p *Progress) Repaints() bool { return p.root().repaints }

// root is the display p shows on: p, or the one p is a Tagged view of.
func (p *Progress) root() *Progress {
	if p.display != nil {
		return p.display
	}
	return p
}

// Line shows msg as one finished step of the display, in order with the solves' own
// steps. It reports false, showing nothing, once the display is closed.
func (p *Progress) Line(msg string) bool {
	p = p.root()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.n++
	now := time.Now()
	p.ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{
		Digest:    digest.FromString(fmt.Sprintf("mcpbuild status line %d", p.n)),
		Name:      msg,
		Started:   &now,
		Completed: &now,
	}}}
	return true
}

// channel returns a status channel for one solve; Solve closes it, and its messages are
// forwarded to the shared display until then (tagged, for a Tagged view).
func (p *Progress) channel() chan *client.SolveStatus { return p.channelFor("") }

// channelFor is channel for the solve of server: each of its steps is shown as
// "<server>: <step>" (on a Tagged view "<server>: [tag] <step>"), in plain and terminal
// displays alike. "" forwards unprefixed.
func (p *Progress) channelFor(server string) chan *client.SolveStatus {
	tag := p.tag
	if p.display != nil {
		p = p.display
	}
	ch := make(chan *client.SolveStatus)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for st := range ch {
			group := server + ": " // how the solve's progress groups (e.g. exporting) are named
			if tag != "" {
				tagStatus(st, tag) // steps: "[tag] step"
				group += "[" + tag + "] "
			}
			p.ch <- prefixed(server, group, st)
		}
	}()
	return ch
}

// prefixed returns st with every step named "<server>: <name>" and made the server's own:
// its digests (and its inputs', statuses', logs' and warnings') and progress group are
// derived from server, so that the same step of two servers' solves (the same base image
// resolved, say), which BuildKit gives the same digest, shows twice, each under its own
// server, in the one display. Progress groups (which tagStatus leaves alone) get group
// before their ID and name: "<server>: " and a Tagged view's "[tag] ". st is not changed.
func prefixed(server, group string, st *client.SolveStatus) *client.SolveStatus {
	if server == "" || st == nil {
		return st
	}
	own := func(d digest.Digest) digest.Digest {
		if d == "" {
			return d
		}
		return digest.FromString("mcpbuild server " + server + " " + d.String())
	}
	out := &client.SolveStatus{}
	for _, v := range st.Vertexes {
		c := *v
		c.Digest, c.Name = own(v.Digest), server+": "+v.Name
		c.Inputs = make([]digest.Digest, len(v.Inputs))
		for i, in := range v.Inputs {
			c.Inputs[i] = own(in)
		}
		if g := v.ProgressGroup; g != nil {
			c.ProgressGroup = &pb.ProgressGroup{Id: group + g.Id, Name: group + g.Name, Weak: g.Weak}
		}
		out.Vertexes = append(out.Vertexes, &c)
	}
	for _, s := range st.Statuses {
		c := *s
		c.Vertex = own(s.Vertex)
		out.Statuses = append(out.Statuses, &c)
	}
	for _, l := range st.Logs {
		c := *l
		c.Vertex = own(l.Vertex)
		out.Logs = append(out.Logs, &c)
	}
	for _, w := range st.Warnings {
		c := *w
		c.Vertex = own(w.Vertex)
		out.Warnings = append(out.Warnings, &c)
	}
	return out
}

// tagStatus renames st's steps "[tag] step" and moves every vertex digest to one of tag's.
func tagStatus(st *client.SolveStatus, tag string) {
	re := func(d digest.Digest) digest.Digest { return digest.FromString(tag + "\x00" + d.String()) }
	for _, v := range st.Vertexes {
		v.Digest, v.Name = re(v.Digest), "["+tag+"] "+v.Name
		for i := range v.Inputs {
			v.Inputs[i] = re(v.Inputs[i])
		}
	}
	for _, x := range st.Statuses {
		x.Vertex = re(x.Vertex)
	}
	for _, x := range st.Logs {
		x.Vertex = re(x.Vertex)
	}
	for _, x := range st.Warnings {
		x.Vertex = re(x.Vertex)
	}
}

// Close stops the display once every forwarded message was shown and returns its error.
// Call it after the last Build returned.
func (p *Progress) Close() error {
	p = p.root()
	p.once.Do(func() {
		p.wg.Wait()
		p.mu.Lock()
		p.closed = true
		close(p.ch)
		p.mu.Unlock()
	})
	<-p.done
	return p.err
}
