package build

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

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

// earlyDeadlineBuilder answers as buildkitd does when its copy of the gRPC deadline fires
// a moment before the client's: DeadlineExceeded while the caller's context is not done.
type earlyDeadlineBuilder struct{ early time.Duration }

func (b earlyDeadlineBuilder) Build(ctx context.Context, s *catalog.Server) (*Result, error) {
	dl, _ := ctx.Deadline()
	time.Sleep(time.Until(dl) - b.early)
	if ctx.Err() != nil {
		return nil, errors.New("test setup: the context ended before the early answer")
	}
	return nil, status.Error(codes.DeadlineExceeded, "stream terminated by RST_STREAM")
}

func TestDeadlineFromBuildkitdFirstIsStillOurs(t *testing.T) {
	d, _ := NewDeadline(earlyDeadlineBuilder{early: 30 * time.Millisecond}, 200*time.Millisecond)
	_, err := d.Build(context.Background(), &catalog.Server{Name: "slow"})
	var ue *UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "server slow did not finish within 200ms") {
		t.Fatalf("Build() error = %v, want the build deadline (BuildKit unreachable) naming the server", err)
	}
}
