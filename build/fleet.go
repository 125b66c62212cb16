package build

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/fault"
)

// Daemon is one BuildKit daemon of a Fleet: a name for reports and logs (its address,
// without credentials) and the Builder that builds on it, typically
// Lazy(Deadline(BuildKit)).
type Daemon struct {
	Name    string
	Builder Builder
	// Probe, when set, asks the daemon whether it answers (BuildKit.Probe: Info under a
	// short deadline). The Fleet calls it after a build ran past its deadline, which alone
	// says nothing about the daemon: a daemon whose probe fails is taken out. Nil: never
	// probed, and a build deadline never takes the daemon out.
	Probe func(ctx context.Context) error
}

// Fleet builds on several daemons. Servers of one upstream repository (the remote of
// their git context, after mirrors) go to the same daemon, so each daemon fetches a
// repository once. Which daemon a repository goes to is rendezvous hashing over the
// daemon names (adding a daemon moves only the repositories it now wins), balanced by
// FleetPlan; see Build for what happens when a daemon stops answering.
type Fleet struct {
	daemons []*daemon
	log     *slog.Logger
	mirrors catalog.Mirrors

	mu       sync.Mutex
	assigned map[string]*daemon // repository → its daemon; a taken-out one is replaced when next routed
}

// daemon is a Daemon with its state in the fleet.
type daemon struct {
	Daemon
	sem     chan struct{} // one token per running build
	down    chan struct{} // closed when the daemon is taken out
	cause   error         // why it was taken out; guarded by Fleet.mu
	pending int           // builds routed to it and not finished; guarded by Fleet.mu
}

var _ Builder = (*Fleet)(nil)

// errTakenOut: the daemon was taken out while a build waited for one of its slots.
var errTakenOut = errors.New("daemon taken out")

type fleetOptions struct {
	log      *slog.Logger
	mirrors  catalog.Mirrors
	parallel int
	plan     []*catalog.Server
	set      map[string]bool
}

// FleetOption configures NewFleet; giving one twice is an error.
type FleetOption func(*fleetOptions) error

func (o *fleetOptions) once(name string) error {
	if o.set[name] {
		return fmt.Errorf("fleet option %s given twice", name)
	}
	o.set[name] = true
	return nil
}

// FleetLogger logs daemons taken out (Warn) and routing (Debug). Default: discard.
func FleetLogger(l *slog.Logger) FleetOption {
	return func(o *fleetOptions) error {
		if l == nil {
			return errors.New("fleet: nil logger")
		}
		o.log = l
		return o.once("FleetLogger")
	}
}

// FleetMirrors are the --source-mirror rules the daemons fetch with (PlanOptions.Mirrors):
// a server's repository is the remote it is fetched from.
func FleetMirrors(ms catalog.Mirrors) FleetOption {
	return func(o *fleetOptions) error {
		o.mirrors = ms
		return o.once("FleetMirrors")
	}
}

// FleetParallelism lets at most n builds run on each daemon at once (default 1). A build
// waiting for a slot of a daemon that is taken out goes to another one.
func FleetParallelism(n int) FleetOption {
	return func(o *fleetOptions) error {
		if n < 1 {
			return fmt.Errorf("fleet: %d parallel builds per daemon, want at least 1", n)
		}
		o.parallel = n
		return o.once("FleetParallelism")
	}
}

// FleetPlan assigns the repositories of servers (the servers about to be built) to the
// daemons up front, balanced: repositories in order of their number of servers (most
// first, then by name), each to the first daemon in its rendezvous order that stays
// within ceil(servers/daemons) servers, else to the least loaded one. A repository is
// never split. Without it, or for a repository not in the plan, the first build of a
// repository picks the live daemon with the fewest pending builds (ties by rendezvous
// order).
func FleetPlan(servers []*catalog.Server) FleetOption {
	return func(o *fleetOptions) error {
		o.plan = servers
		return o.once("FleetPlan")
	}
}

// NewFleet returns a Fleet over daemons: at least one, each with a distinct name.
func NewFleet(daemons []Daemon, opts ...FleetOption) (*Fleet, error) {
	o := fleetOptions{log: slog.New(slog.DiscardHandler), parallel: 1, set: map[string]bool{}}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if len(daemons) == 0 {
		return nil, errors.New("fleet: no daemons")
	}
	f := &Fleet{log: o.log, mirrors: o.mirrors, assigned: map[string]*daemon{}}
	seen := map[string]bool{}
	for _, d := range daemons {
		switch {
		case d.Name == "":
			return nil, errors.New("fleet: a daemon without a name")
		case d.Builder == nil:
			return nil, fmt.Errorf("fleet: daemon %s has no builder", d.Name)
		case seen[d.Name]:
			return nil, fmt.Errorf("fleet: daemon %s given twice", d.Name)
		}
		seen[d.Name] = true
		f.daemons = append(f.daemons, &daemon{Daemon: d, sem: make(chan struct{}, o.parallel), down: make(chan struct{})})
	}
	if err := f.plan(o.plan); err != nil {
		return nil, err
	}
	return f, nil
}

// Repository is the affinity key of s: the remote its git context is fetched from.
func (f *Fleet) Repository(s *catalog.Server) (string, error) {
	u, err := ContextURL(s, f.mirrors)
	if err != nil {
		return "", err
	}
	return gitContext(u).Remote, nil
}

// Assignment maps each repository routed so far (or planned) to its daemon's name.
func (f *Fleet) Assignment() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]string, len(f.assigned))
	for repo, d := range f.assigned {
		out[repo] = d.Name
	}
	return out
}

// ranked returns the daemons in rendezvous order for repo: highest score first.
func (f *Fleet) ranked(repo string) []*daemon {
	score := func(d *daemon) uint64 {
		h := sha256.Sum256([]byte(d.Name + "\x00" + repo))
		return binary.BigEndian.Uint64(h[:8])
	}
	ds := slices.Clone(f.daemons)
	slices.SortStableFunc(ds, func(a, b *daemon) int { return cmp.Compare(score(b), score(a)) })
	return ds
}

// plan assigns the repositories of servers as FleetPlan says.
func (f *Fleet) plan(servers []*catalog.Server) error {
	size := map[string]int{}
	for _, s := range servers {
		repo, err := f.Repository(s)
		if err != nil {
			return err
		}
		size[repo]++
	}
	repos := make([]string, 0, len(size))
	for r := range size {
		repos = append(repos, r)
	}
	slices.SortFunc(repos, func(a, b string) int { return cmp.Or(cmp.Compare(size[b], size[a]), cmp.Compare(a, b)) })
	limit := (len(servers) + len(f.daemons) - 1) / len(f.daemons)
	load := map[*daemon]int{}
	for _, repo := range repos {
		ranked := f.ranked(repo)
		pick := ranked[0]
		for _, d := range ranked { // least loaded, ties by rank
			if load[d] < load[pick] {
				pick = d
			}
		}
		for _, d := range ranked {
			if load[d]+size[repo] <= limit {
				pick = d
				break
			}
		}
		load[pick] += size[repo]
		f.assigned[repo] = pick
	}
	return nil
}

// route returns the live daemon for repo and counts the build as pending on it, or an
// error when every daemon is taken out.
func (f *Fleet) route(repo string) (*daemon, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.assigned[repo]
	if d == nil || d.cause != nil {
		d = nil
		for _, c := range f.ranked(repo) {
			if c.cause == nil && (d == nil || c.pending < d.pending) {
				d = c
			}
		}
		if d == nil {
			return nil, f.allDown()
		}
		f.assigned[repo] = d
		f.log.Debug("repository assigned to a BuildKit daemon", "repository", repo, "builder", d.Name)
	}
	d.pending++
	return d, nil
}

// allDown is the error of a build that finds every daemon taken out; f.mu is held.
func (f *Fleet) allDown() error {
	names := make([]string, len(f.daemons))
	for i, d := range f.daemons {
		names[i] = d.Name
	}
	return &UnreachableError{Service: ServiceBuildKit, Addr: strings.Join(names, ", "),
		Err: errors.New("every daemon was taken out (the warnings logged say why)")}
}

func (f *Fleet) done(d *daemon) {
	f.mu.Lock()
	d.pending--
	f.mu.Unlock()
}

// takeOut marks d as not answering: no build is routed to it any more, and builds
// waiting for one of its slots go elsewhere. Builds running on it finish as they do.
func (f *Fleet) takeOut(d *daemon, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d.cause != nil {
		return
	}
	d.cause = err
	close(d.down)
	live := 0
	for _, x := range f.daemons {
		if x.cause == nil {
			live++
		}
	}
	f.log.Warn("BuildKit daemon taken out: its servers go to the other daemons", "builder", d.Name, "live", live, "error", err)
}

// buildOn waits for a slot of d (or d taken out, or ctx), then builds s on d.
func (f *Fleet) buildOn(ctx context.Context, d *daemon, s *catalog.Server) (*Result, error) {
	defer f.done(d)
	select {
	case d.sem <- struct{}{}:
	case <-d.down:
		return nil, errTakenOut
	case <-ctx.Done():
		return nil, fmt.Errorf("building server %s: %w", s.Name, context.Cause(ctx))
	}
	defer func() { <-d.sem }()
	select { // when several were ready: start nothing on a daemon taken out, or cancelled
	case <-d.down:
		return nil, errTakenOut
	case <-ctx.Done():
		return nil, fmt.Errorf("building server %s: %w", s.Name, context.Cause(ctx))
	default:
	}
	return d.Builder.Build(ctx, s)
}

// Build builds s on its repository's daemon. A build error that says the daemon did not
// answer (daemonFault: an Unreachable kind, BuildKit's own, not a git remote's or a
// registry's, nor the build deadline) takes that daemon out, and s is built once more on
// another daemon; any other error is s's own and returned as it is, never retried. A build
// past its deadline (*DeadlineError) is s's own too, never retried; the daemon is taken
// out only when its Probe then fails. When every daemon is taken out, s fails as an
// *UnreachableError. The result's Builder, and a failure's BuilderOf, name the daemon.
func (f *Fleet) Build(ctx context.Context, s *catalog.Server) (*Result, error) {
	repo, err := f.Repository(s)
	if err != nil {
		return nil, err // names s
	}
	retried := false
	var last *daemon // the daemon of the last attempt, named when none is left to try
	for {
		d, err := f.route(repo)
		if err != nil {
			err = fmt.Errorf("building server %s: %w", s.Name, err)
			if last != nil {
				return nil, &BuilderError{Builder: last.Name, Err: err}
			}
			return nil, err
		}
		r, err := f.buildOn(ctx, d, s)
		switch {
		case err == nil:
			r.Builder = d.Name
			return r, nil
		case errors.Is(err, errTakenOut):
			continue // never started: not an attempt
		case ctx.Err() != nil:
			return nil, &BuilderError{Builder: d.Name, Err: err}
		case pastDeadline(err):
			f.probe(ctx, d, err)
			return nil, &BuilderError{Builder: d.Name, Err: err}
		case !daemonFault(err) || retried:
			if daemonFault(err) {
				f.takeOut(d, err)
			}
			return nil, &BuilderError{Builder: d.Name, Err: err}
		}
		f.takeOut(d, err)
		f.log.Info("building again on another BuildKit daemon", "server", s.Name, "failed-on", d.Name)
		retried, last = true, d
	}
}

// FleetProbeTimeout bounds a Daemon's Probe.
const FleetProbeTimeout = 10 * time.Second

// probe asks d whether it answers after a build on it, which failed with err, ran past its
// deadline, and takes d out when it does not. Without a Probe, d stays in.
func (f *Fleet) probe(ctx context.Context, d *daemon, err error) {
	if d.Probe == nil {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, FleetProbeTimeout)
	defer cancel()
	perr := d.Probe(pctx)
	switch {
	case perr == nil:
		f.log.Debug("a build ran past its deadline, its BuildKit daemon answers: it stays in", "builder", d.Name, "error", err)
	case ctx.Err() == nil:
		f.takeOut(d, fmt.Errorf("%w; then the daemon did not answer: %w", err, perr))
	}
}

// pastDeadline reports whether err is a build that did not finish within its deadline
// (a *DeadlineError): the server's own failure, which says nothing about the daemon.
func pastDeadline(err error) bool {
	_, ok := errors.AsType[*DeadlineError](err)
	return ok
}

// daemonFault reports whether err says that the daemon did not answer: its kind is
// Unreachable, and it is not an *UnreachableError naming a git remote or a registry (those
// the other daemons would not reach either: one catalog entry with a dead remote must not
// take every daemon out), nor a build past its deadline (a slow build, a hostile RUN sleep
// included, must not take out every daemon it is tried on).
func daemonFault(err error) bool {
	if fault.KindOf(err) != fault.Unreachable || pastDeadline(err) {
		return false
	}
	if ue, ok := errors.AsType[*UnreachableError](err); ok && ue.Service != ServiceBuildKit {
		return false
	}
	return true
}
