package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/fault"
)

// fleetServer is a server of repository repo (git://git.example/<repo>.git).
func fleetServer(name, repo string) *catalog.Server {
	return &catalog.Server{Name: name, Type: "server", Source: catalog.Source{
		Project: "git://git.example/" + repo + ".git", Commit: strings.Repeat("a", 40)}}
}

// fakeDaemons returns n recorders named d0..d(n-1) whose builds succeed unless fail
// says otherwise for (daemon, server).
func fakeDaemons(n int, fail func(daemon, server string) error) ([]Daemon, []*Recorder) {
	var ds []Daemon
	var recs []*Recorder
	for i := range n {
		name := fmt.Sprintf("tcp://d%d:1234", i)
		rec := &Recorder{Fake: func(s *catalog.Server) (*Result, error) {
			if fail != nil {
				if err := fail(name, s.Name); err != nil {
					return nil, err
				}
			}
			return &Result{Server: s.Name}, nil
		}}
		ds, recs = append(ds, Daemon{Name: name, Builder: rec}), append(recs, rec)
	}
	return ds, recs
}

// buildAll builds servers on f in parallel and returns results and errors by server.
func buildAll(ctx context.Context, f *Fleet, servers []*catalog.Server) (map[string]*Result, map[string]error) {
	var mu sync.Mutex
	res, errs := map[string]*Result{}, map[string]error{}
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(func() {
			r, err := f.Build(ctx, s)
			mu.Lock()
			defer mu.Unlock()
			res[s.Name], errs[s.Name] = r, err
		})
	}
	wg.Wait()
	return res, errs
}

// totalCalls counts each server's builds over all recorders.
func totalCalls(recs []*Recorder) map[string]int {
	n := map[string]int{}
	for _, r := range recs {
		for _, c := range r.Calls() {
			n[c]++
		}
	}
	return n
}

func manyServers() []*catalog.Server {
	var ss []*catalog.Server
	for r := range 8 {
		for i := range 3 {
			ss = append(ss, fleetServer(fmt.Sprintf("r%d-s%d", r, i), fmt.Sprintf("repo%d", r)))
		}
	}
	return ss
}

func TestFleetAffinityAndSpread(t *testing.T) {
	servers := manyServers()
	var first map[string]string
	for round := range 3 { // the same assignment every time
		ds, recs := fakeDaemons(3, nil)
		f, err := NewFleet(ds, FleetPlan(servers), FleetParallelism(2))
		if err != nil {
			t.Fatal(err)
		}
		res, errs := buildAll(context.Background(), f, servers)
		byRepo := map[string]string{}
		for _, s := range servers {
			if errs[s.Name] != nil {
				t.Fatalf("Build(%s): %v", s.Name, errs[s.Name])
			}
			repo, _, _ := strings.Cut(s.Name, "-")
			if d, ok := byRepo[repo]; ok && d != res[s.Name].Builder {
				t.Errorf("round %d: %s built on %s, another server of %s on %s", round, s.Name, res[s.Name].Builder, repo, d)
			}
			byRepo[repo] = res[s.Name].Builder
		}
		for name, n := range totalCalls(recs) {
			if n != 1 {
				t.Errorf("%s built %d times", name, n)
			}
		}
		for i, r := range recs {
			if n := len(r.Calls()); n == 0 || n > 9 { // 24 servers of 8 repositories over 3: at most 3 repositories each
				t.Errorf("daemon %d built %d servers, want 1..9 (balanced)", i, n)
			}
		}
		if round == 0 {
			first = byRepo
		} else if fmt.Sprint(byRepo) != fmt.Sprint(first) {
			t.Errorf("round %d assignment %v, round 0 %v", round, byRepo, first)
		}
	}
}

// Without a plan the first build of a repository picks a daemon, and the others follow it.
func TestFleetAffinityUnplanned(t *testing.T) {
	ds, recs := fakeDaemons(2, nil)
	f, err := NewFleet(ds)
	if err != nil {
		t.Fatal(err)
	}
	servers := manyServers()
	for _, s := range servers { // sequential: the fewest pending is a tie, decided by rank
		if _, err := f.Build(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	a := f.Assignment()
	if len(a) != 8 {
		t.Fatalf("assignment %v, want 8 repositories", a)
	}
	for i, r := range recs {
		for _, c := range r.Calls() {
			repo, _ := f.Repository(servers[slices.IndexFunc(servers, func(s *catalog.Server) bool { return s.Name == c })])
			if a[repo] != ds[i].Name {
				t.Errorf("%s built on %s, its repository is assigned to %s", c, ds[i].Name, a[repo])
			}
		}
	}
}

func TestFleetUnreachableTakesDaemonOut(t *testing.T) {
	servers := manyServers()
	dead := ""
	ds, recs := fakeDaemons(3, func(d, _ string) error {
		if d == dead {
			return &UnreachableError{Service: ServiceBuildKit, Addr: d, Err: errors.New("connection refused")}
		}
		return nil
	})
	var logs bytes.Buffer
	f, err := NewFleet(ds, FleetPlan(servers), FleetLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	dead = f.Assignment()["git://git.example/repo0.git"]
	res, errs := buildAll(context.Background(), f, servers)
	for _, s := range servers {
		if errs[s.Name] != nil {
			t.Fatalf("Build(%s): %v", s.Name, errs[s.Name])
		}
		if res[s.Name].Builder == dead {
			t.Errorf("%s reported built on the dead daemon %s", s.Name, dead)
		}
	}
	deadIdx := slices.IndexFunc(ds, func(d Daemon) bool { return d.Name == dead })
	if n := len(recs[deadIdx].Calls()); n != 1 { // parallelism 1: one build found it dead
		t.Errorf("dead daemon tried %d times, want 1", n)
	}
	for name, n := range totalCalls(recs) {
		want := 1
		if slices.Contains(recs[deadIdx].Calls(), name) {
			want = 2
		}
		if n != want {
			t.Errorf("%s built %d times, want %d", name, n, want)
		}
	}
	if !strings.Contains(logs.String(), "BuildKit daemon taken out") || !strings.Contains(logs.String(), dead) {
		t.Errorf("log does not name the daemon taken out:\n%s", logs.String())
	}
	if d := f.Assignment()["git://git.example/repo0.git"]; d == dead || d == "" {
		t.Errorf("repo0 still assigned to %q", d)
	}
}

func TestFleetDefiniteFailureNotRetried(t *testing.T) {
	boom := errors.New("dockerfile parse error")
	ds, recs := fakeDaemons(2, func(_, s string) error {
		if s == "r0-s0" {
			return fmt.Errorf("building server %s: %w", s, boom)
		}
		return nil
	})
	servers := manyServers()
	f, err := NewFleet(ds, FleetPlan(servers))
	if err != nil {
		t.Fatal(err)
	}
	owner := f.Assignment()["git://git.example/repo0.git"]
	_, errs := buildAll(context.Background(), f, servers)
	if !errors.Is(errs["r0-s0"], boom) || BuilderOf(errs["r0-s0"]) != owner || fault.KindOf(errs["r0-s0"]) == fault.Unreachable {
		t.Errorf("r0-s0: %v (builder %q), want the build error from %s", errs["r0-s0"], BuilderOf(errs["r0-s0"]), owner)
	}
	for name, n := range totalCalls(recs) {
		if n != 1 {
			t.Errorf("%s built %d times, want 1", name, n)
		}
	}
	for _, s := range servers[1:] {
		if errs[s.Name] != nil {
			t.Errorf("%s: %v", s.Name, errs[s.Name])
		}
	}
	if f.Assignment()["git://git.example/repo0.git"] != owner {
		t.Error("a build failure moved the repository")
	}
}

// A git remote or registry that does not answer is the server's failure (exit 3), not the
// daemon's: no daemon is taken out, nothing is built again.
func TestFleetRemoteUnreachableNotDaemon(t *testing.T) {
	ds, recs := fakeDaemons(2, func(_, s string) error {
		switch s {
		case "r0-s0":
			return &UnreachableError{Service: ServiceGitRemote, Addr: "git://git.example/repo0.git", Err: errors.New("could not resolve host")}
		case "r1-s0":
			return &UnreachableError{Service: ServiceRegistry, Addr: "registry.example", Err: errors.New("connection refused")}
		}
		return nil
	})
	servers := manyServers()
	f, err := NewFleet(ds, FleetPlan(servers))
	if err != nil {
		t.Fatal(err)
	}
	before := f.Assignment()
	_, errs := buildAll(context.Background(), f, servers)
	for _, s := range servers {
		failed := s.Name == "r0-s0" || s.Name == "r1-s0"
		if got := errs[s.Name] != nil; got != failed || failed && fault.KindOf(errs[s.Name]) != fault.Unreachable {
			t.Errorf("%s: %v, want failed %v", s.Name, errs[s.Name], failed)
		}
	}
	for name, n := range totalCalls(recs) {
		if n != 1 {
			t.Errorf("%s built %d times, want 1", name, n)
		}
	}
	if fmt.Sprint(f.Assignment()) != fmt.Sprint(before) {
		t.Errorf("assignment moved: %v, was %v", f.Assignment(), before)
	}
}

func TestFleetAllDown(t *testing.T) {
	ds, recs := fakeDaemons(2, func(d, _ string) error {
		return &UnreachableError{Service: ServiceBuildKit, Addr: d, Err: errors.New("connection refused")}
	})
	servers := manyServers()
	f, err := NewFleet(ds, FleetPlan(servers))
	if err != nil {
		t.Fatal(err)
	}
	_, errs := buildAll(context.Background(), f, servers)
	for _, s := range servers {
		var ue *UnreachableError
		if err := errs[s.Name]; !errors.As(err, &ue) || fault.KindOf(err) != fault.Unreachable {
			t.Errorf("%s: %v, want unreachable", s.Name, err)
		}
	}
	if n := len(totalCalls(recs)); n > 2 { // each daemon tried once at most (parallelism 1)
		t.Errorf("%d servers were tried, want at most 2", n)
	}
	for _, r := range recs {
		if n := len(r.Calls()); n != 1 {
			t.Errorf("a daemon was tried %d times, want 1", n)
		}
	}
}

func TestFleetCancel(t *testing.T) {
	started := make(chan struct{}, 10)
	block := func(ctx context.Context) error {
		select {
		case started <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return ctx.Err()
	}
	var ds []Daemon
	for i := range 2 {
		ds = append(ds, Daemon{Name: fmt.Sprint("d", i), Builder: builderFunc(func(ctx context.Context, _ *catalog.Server) (*Result, error) {
			return nil, block(ctx)
		})})
	}
	f, err := NewFleet(ds)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan map[string]error)
	go func() { _, errs := buildAll(ctx, f, manyServers()); done <- errs }()
	<-started
	cancel()
	select {
	case errs := <-done:
		for name, err := range errs {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: %v, want canceled", name, err)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("builds still running after cancel")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.daemons {
		if d.cause != nil {
			t.Errorf("cancellation took %s out: %v", d.Name, d.cause)
		}
	}
}

type builderFunc func(ctx context.Context, s *catalog.Server) (*Result, error)

func (b builderFunc) Build(ctx context.Context, s *catalog.Server) (*Result, error) { return b(ctx, s) }

func TestNewFleetErrors(t *testing.T) {
	ds, _ := fakeDaemons(1, nil)
	for _, tc := range []struct {
		ds   []Daemon
		opts []FleetOption
		want string
	}{
		{nil, nil, "no daemons"},
		{append(ds, ds...), nil, "given twice"},
		{[]Daemon{{Name: "x"}}, nil, "no builder"},
		{ds, []FleetOption{FleetParallelism(0)}, "at least 1"},
		{ds, []FleetOption{FleetParallelism(1), FleetParallelism(2)}, "FleetParallelism given twice"},
		{ds, []FleetOption{FleetLogger(nil)}, "nil logger"},
		{ds, []FleetOption{FleetPlan([]*catalog.Server{{Name: "bad"}})}, "source.commit"},
	} {
		if _, err := NewFleet(tc.ds, tc.opts...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewFleet(%v) = %v, want %q", tc.ds, err, tc.want)
		}
	}
}
