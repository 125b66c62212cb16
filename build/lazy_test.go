package build_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
)

// closingRecorder is a Recorder that counts Close calls.
type closingRecorder struct {
	*build.Recorder
	closed atomic.Int32
}

func (c *closingRecorder) Close() error { c.closed.Add(1); return nil }

func fakeBuild(s *catalog.Server) (*build.Result, error) {
	d, err := name.NewDigest("127.0.0.1:5000/mcp/" + s.Name + "@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	if err != nil {
		return nil, err
	}
	return &build.Result{Server: s.Name, Image: d}, nil
}

// Nothing is opened until the first Build; concurrent builds open once, and Close closes
// what was opened.
func TestLazyOpensOnFirstBuildOnly(t *testing.T) {
	var opens atomic.Int32
	inner := &closingRecorder{Recorder: &build.Recorder{Fake: fakeBuild}}
	l, err := build.NewLazy(func(context.Context) (build.Builder, error) {
		opens.Add(1)
		return inner, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if opens.Load() != 0 {
		t.Fatalf("NewLazy opened the builder")
	}
	var wg sync.WaitGroup
	for _, n := range []string{"a", "b", "c", "d"} {
		wg.Go(func() {
			if r, err := l.Build(context.Background(), &catalog.Server{Name: n}); err != nil || r.Server != n {
				t.Errorf("Build(%s) = %+v, %v", n, r, err)
			}
		})
	}
	wg.Wait()
	if opens.Load() != 1 || len(inner.Calls()) != 4 {
		t.Errorf("%d opens, %d builds; want 1, 4", opens.Load(), len(inner.Calls()))
	}
	if err := l.Close(); err != nil || inner.closed.Load() != 1 {
		t.Errorf("Close() = %v, closed %d times; want nil, once", err, inner.closed.Load())
	}
	if _, err := l.Build(context.Background(), &catalog.Server{Name: "e"}); !errors.Is(err, build.ErrLazyClosed) {
		t.Errorf("Build after Close = %v, want ErrLazyClosed", err)
	}
}

// A failed open is every Build's error and is not retried; Close then closes nothing.
func TestLazyOpenFailure(t *testing.T) {
	boom := errors.New("buildkitd unreachable")
	var opens atomic.Int32
	l, err := build.NewLazy(func(context.Context) (build.Builder, error) {
		opens.Add(1)
		return nil, boom
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := l.Build(context.Background(), &catalog.Server{Name: "a"}); !errors.Is(err, boom) {
			t.Errorf("Build() = %v, want %v", err, boom)
		}
	}
	if opens.Load() != 1 {
		t.Errorf("%d opens, want 1", opens.Load())
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
}

// Never built: Close opens nothing, and a later Build does not open either.
func TestLazyCloseUnopened(t *testing.T) {
	l, err := build.NewLazy(func(context.Context) (build.Builder, error) {
		t.Error("opened")
		return nil, errors.New("opened")
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Build(context.Background(), &catalog.Server{Name: "a"}); !errors.Is(err, build.ErrLazyClosed) {
		t.Errorf("Build after Close = %v, want ErrLazyClosed", err)
	}
	if _, err := build.NewLazy(nil); err == nil {
		t.Error("NewLazy(nil) succeeded")
	}
}
