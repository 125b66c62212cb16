package build

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// hangingBuilder blocks until its context ends, as a build whose push stalls does.
type hangingBuilder struct{}

func (hangingBuilder) Build(ctx context.Context, s *catalog.Server) (*Result, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

type quickBuilder struct{}

func (quickBuilder) Build(_ context.Context, s *catalog.Server) (*Result, error) {
	return &Result{Server: s.Name}, nil
}

func TestDeadlineEndsAHungBuild(t *testing.T) {
	d, err := NewDeadline(hangingBuilder{}, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = d.Build(context.Background(), &catalog.Server{Name: "stuck"})
	var ue *UnreachableError
	if !errors.As(err, &ue) || ue.Service != ServiceBuildKit || !strings.Contains(err.Error(), "server stuck did not finish within 50ms") {
		t.Fatalf("Build() error = %v, want BuildKit unreachable naming the server and deadline", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("Build() returned after %v", time.Since(start))
	}
}

func TestDeadlinePassesCallerCancellationAndResults(t *testing.T) {
	d, _ := NewDeadline(hangingBuilder{}, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Build(ctx, &catalog.Server{Name: "x"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Build() with a cancelled caller = %v, want context.Canceled as it is", err)
	}
	q, _ := NewDeadline(quickBuilder{}, time.Hour)
	if r, err := q.Build(context.Background(), &catalog.Server{Name: "ok"}); err != nil || r.Server != "ok" {
		t.Fatalf("Build() = %+v, %v", r, err)
	}
	if _, err := NewDeadline(quickBuilder{}, 0); err == nil {
		t.Fatal("NewDeadline(0) accepted")
	}
}
