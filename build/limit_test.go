package build

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/catalog"
)

func TestLimiter(t *testing.T) {
	var cur, peak atomic.Int64
	rec := &Recorder{Fake: func(s *catalog.Server) (*Result, error) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		cur.Add(-1)
		return &Result{Server: s.Name}, nil
	}}
	lim, err := NewLimiter(rec, 2)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		wg.Go(func() {
			if r, err := lim.Build(context.Background(), &catalog.Server{Name: n}); err != nil || r.Server != n {
				t.Errorf("Build(%s) = %v, %v", n, r, err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p != 2 {
		t.Errorf("peak concurrency = %d, want 2", p)
	}
	if got := len(rec.Calls()); got != 6 {
		t.Errorf("built %d servers, want 6", got)
	}
	if _, err := NewLimiter(rec, 0); err == nil {
		t.Error("NewLimiter(0) = nil error")
	}
}

func TestLimiterCancelled(t *testing.T) {
	block := make(chan struct{})
	lim, err := NewLimiter(&Recorder{Fake: func(*catalog.Server) (*Result, error) { <-block; return &Result{}, nil }}, 1)
	if err != nil {
		t.Fatal(err)
	}
	go lim.Build(context.Background(), &catalog.Server{Name: "first"})
	time.Sleep(10 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := lim.Build(ctx, &catalog.Server{Name: "second"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Build with cancelled ctx while the slot is taken = %v, want context.Canceled", err)
	}
	close(block)
}
