package build

import (
	"context"
	"io"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
)

// Progress shows the status of every solve of a run in one display (builds running in
// parallel share it). It runs on its own context so that the last messages, the failing
// step's logs included, are still printed when the run's context is cancelled.
type Progress struct {
	ch   chan *client.SolveStatus
	done chan struct{}
	wg   sync.WaitGroup // forwarders still running
	once sync.Once
	err  error
}

// NewProgress starts a display writing to w in mode: "auto" (tty when w is a terminal,
// else plain), "plain", "tty", "quiet" or "rawjson".
func NewProgress(w io.Writer, mode string) (*Progress, error) {
	d, err := progressui.NewDisplay(w, progressui.DisplayMode(mode))
	if err != nil {
		return nil, err
	}
	p := &Progress{ch: make(chan *client.SolveStatus), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		// Own context: cancellation of the run must not cut the final output.
		_, p.err = d.UpdateFrom(context.Background(), p.ch)
	}()
	return p, nil
}

// channel returns a status channel for one solve; Solve closes it, and its messages are
// forwarded to the shared display until then.
func (p *Progress) channel() chan *client.SolveStatus {
	ch := make(chan *client.SolveStatus)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for st := range ch {
			p.ch <- st
		}
	}()
	return ch
}

// Close stops the display once every forwarded message was shown and returns its error.
// Call it after the last Build returned.
func (p *Progress) Close() error {
	p.once.Do(func() {
		p.wg.Wait()
		close(p.ch)
	})
	<-p.done
	return p.err
}
