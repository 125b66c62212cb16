package build

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/fault"
)

// deadlineDaemons returns two daemons, Deadline(50ms) over a builder on which server
// "slow" never finishes (a hostile RUN sleep) and every other server succeeds, with the
// number of builds of "slow" and probe for each daemon's Probe (nil: none).
func deadlineDaemons(t *testing.T, probe func(daemon string) error) ([]Daemon, *atomic.Int32) {
	t.Helper()
	var slow atomic.Int32
	var ds []Daemon
	for i := range 2 {
		name := fmt.Sprintf("tcp://d%d:1", i)
		inner := builderFunc(func(ctx context.Context, s *catalog.Server) (*Result, error) {
			if s.Name == "slow" {
				slow.Add(1)
				<-ctx.Done()
				return nil, ctx.Err()
			}
			return &Result{Server: s.Name}, nil
		})
		dl, err := NewDeadline(inner, 50*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		d := Daemon{Name: name, Builder: dl}
		if probe != nil {
			d.Probe = func(ctx context.Context) error {
				if _, ok := ctx.Deadline(); !ok {
					return errors.New("test: probe without a deadline")
				}
				return probe(name)
			}
		}
		ds = append(ds, d)
	}
	return ds, &slow
}

func takenOut(f *Fleet) map[string]error {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]error{}
	for _, d := range f.daemons {
		if d.cause != nil {
			out[d.Name] = d.cause
		}
	}
	return out
}

// A server whose own build runs past its deadline fails alone (exit 3, "did not finish"):
// it is built once, no daemon is taken out, and the other servers build. Before, it took
// out each daemon it was tried on, and every other server failed "every daemon was taken
// out".
func TestFleetBuildDeadlineIsTheServers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		probe  func(string) error
		probes int32
	}{
		{"no probe", nil, 0},
		{"daemon answers its probe", func(string) error { return nil }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var probes atomic.Int32
			var probe func(string) error
			if tc.probe != nil {
				probe = func(d string) error { probes.Add(1); return tc.probe(d) }
			}
			ds, slow := deadlineDaemons(t, probe)
			f, err := NewFleet(ds)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.Build(context.Background(), fleetServer("slow", "slowrepo"))
			if _, ok := errors.AsType[*DeadlineError](err); !ok || fault.KindOf(err) != fault.Unreachable || BuilderOf(err) == "" {
				t.Errorf("slow: %v, want a *DeadlineError of kind unreachable naming its daemon", err)
			}
			if n := slow.Load(); n != 1 {
				t.Errorf("slow built %d times, want 1 (a deadline is not retried)", n)
			}
			if n := probes.Load(); n != tc.probes {
				t.Errorf("%d probes, want %d", n, tc.probes)
			}
			if out := takenOut(f); len(out) != 0 {
				t.Errorf("daemons taken out for a slow build: %v", out)
			}
			for _, n := range []string{"a", "b", "c"} {
				if r, err := f.Build(context.Background(), fleetServer(n, "repo-"+n)); err != nil || r.Server != n {
					t.Errorf("server %s: %v, %v: failed because another server's build was slow", n, r, err)
				}
			}
		})
	}
}

// A build past its deadline on a daemon that then fails its probe takes that daemon out
// (its servers go elsewhere), and the slow server is still not built again.
func TestFleetBuildDeadlineThenProbeFails(t *testing.T) {
	hung := ""
	ds, slow := deadlineDaemons(t, func(d string) error {
		if d == hung {
			return &UnreachableError{Service: ServiceBuildKit, Addr: d, Err: errors.New("context deadline exceeded")}
		}
		return nil
	})
	f, err := NewFleet(ds, FleetPlan([]*catalog.Server{fleetServer("slow", "slowrepo")}))
	if err != nil {
		t.Fatal(err)
	}
	hung = f.Assignment()["git://git.example/slowrepo.git"]
	_, err = f.Build(context.Background(), fleetServer("slow", "slowrepo"))
	if _, ok := errors.AsType[*DeadlineError](err); !ok || BuilderOf(err) != hung {
		t.Errorf("slow: %v on %q, want a *DeadlineError on %s", err, BuilderOf(err), hung)
	}
	if n := slow.Load(); n != 1 {
		t.Errorf("slow built %d times, want 1", n)
	}
	out := takenOut(f)
	if len(out) != 1 || out[hung] == nil {
		t.Fatalf("taken out: %v, want only %s", out, hung)
	}
	r, err := f.Build(context.Background(), fleetServer("other", "slowrepo"))
	if err != nil || r.Builder == hung || r.Builder == "" {
		t.Errorf("other server of the repository: %+v, %v, want built on the live daemon", r, err)
	}
}

// A caller that gives up while the probe runs takes nothing out.
func TestFleetBuildDeadlineProbeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ds, _ := deadlineDaemons(t, func(string) error { cancel(); return context.Canceled })
	f, err := NewFleet(ds)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Build(ctx, fleetServer("slow", "slowrepo")); !pastDeadline(err) {
		t.Errorf("slow: %v, want its deadline", err)
	}
	if out := takenOut(f); len(out) != 0 {
		t.Errorf("taken out after the caller gave up: %v", out)
	}
}
