// Command publish benchmarks `mcpbuild publish` on the local stack against the script a
// user would write instead, and re-publish of the unchanged catalog behind a slow
// registry, all measured in one run:
//
//	. .stack/env && go run ./hack/bench/publish [-n 300] [-repos 10] [-j 8] [-rj 32] [-latency 50ms] [-script-sample 30]
//
// It creates a synthetic catalog (n `FROM scratch` servers over repos git repositories,
// each image different, served by a git daemon it starts on loopback), and then measures:
//
//  1. `mcpbuild publish --no-cache -j J` of the whole catalog (the binary built from this
//     checkout, the test key, the stack's Rekor);
//  2. the reference script on a sample of K servers (per server `buildctl build --no-cache`
//     with the same git context, labels and push, then `cosign sign` v2 with the same key,
//     claims and Rekor), once sequentially (a user's loop) and once with J workers,
//     extrapolated linearly to n when K < n;
//  3. re-publish of the unchanged catalog (-j RJ) with -latency added to every registry
//     request: wall time, builds, new Rekor entries, registry requests per server.
//
// Every registry request of every run goes through one counting proxy in front of the
// stack's registry (which adds -latency in 3 only), so that image references name the
// same host throughout. Images go to a repository prefix unique
// to the run (bench-<unix time>; the script's under bench-<time>-script-jN), signatures to a
// fresh signatures repository. Both builders run with --no-cache, so neither benefits from
// the other's build cache. The program stops its git daemon and proxies and removes its
// temporary files when it ends; what it pushed stays in the registry under the prefix.
// It exits 1 when the run fails, and with -strict when a goal is missed.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mcpbuild/mcpbuild/hack/bench/benchtable"
)

const (
	keyFile  = "testdata/keys/test-only-a.key" // test-only key pair, committed on purpose
	password = "test-only-password"
)

type config struct {
	n, repos, jobs, rejobs, sampleK int
	latency                         time.Duration
	buildctl, mcpbuild              string
	trace, strict                   bool
}

func main() {
	var c config
	flag.IntVar(&c.n, "n", 300, "number of servers in the synthetic catalog")
	flag.IntVar(&c.repos, "repos", 10, "number of git repositories the servers are spread over")
	flag.IntVar(&c.jobs, "j", 8, "parallelism of the first publish (mcpbuild -j) and of the parallel script")
	flag.IntVar(&c.rejobs, "rj", 32, "parallelism of the re-publish (mcpbuild -j)")
	flag.DurationVar(&c.latency, "latency", 50*time.Millisecond, "delay added to every registry request of the re-publish")
	flag.IntVar(&c.sampleK, "script-sample", 30, "time the reference script on this many servers and extrapolate linearly to -n (0: all)")
	flag.StringVar(&c.mcpbuild, "mcpbuild", "", "mcpbuild binary to measure (default: built from this checkout), e.g. one built with profiling")
	flag.StringVar(&c.buildctl, "buildctl", "", "buildctl binary (default: $PATH, then ~/.cache/mcpbuild/bin/buildctl)")
	flag.BoolVar(&c.trace, "trace", false, "print every registry request of the first publish and of the slow re-publish (method and path, counted)")
	flag.BoolVar(&c.strict, "strict", false, "exit 1 when a goal is missed (default: only when the run itself fails)")
	flag.Parse()
	if err := run(context.Background(), c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type stack struct{ registry, rekorURL, cosign2, state string }

func run(ctx context.Context, c config) error {
	st := stack{os.Getenv("MCPBUILD_E2E_REGISTRY"), os.Getenv("MCPBUILD_E2E_REKOR_URL"), os.Getenv("MCPBUILD_E2E_COSIGN2"), os.Getenv("MCPBUILD_STATE")}
	if st.registry == "" || st.rekorURL == "" || st.cosign2 == "" || os.Getenv("BUILDKIT_HOST") == "" {
		return fmt.Errorf("needs the local stack: . .stack/env (BUILDKIT_HOST, MCPBUILD_E2E_REGISTRY, _REKOR_URL, _COSIGN2)")
	}
	if c.n < 1 || c.repos < 1 || c.jobs < 1 || c.rejobs < 1 {
		return fmt.Errorf("-n, -repos, -j and -rj must be at least 1")
	}
	buildctl, err := findBuildctl(c.buildctl)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Hour)
	defer cancel()
	tmp, err := os.MkdirTemp("", "mcpbuild-publish-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	mcpbuild := c.mcpbuild
	if mcpbuild == "" {
		mcpbuild = filepath.Join(tmp, "mcpbuild")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", mcpbuild, "./cmd/mcpbuild").CombinedOutput(); err != nil {
			return fmt.Errorf("building mcpbuild: %v\n%s", err, out)
		}
	}
	for _, d := range []string{"git", "catalog", "script"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			return err
		}
	}
	gitd, err := startGitDaemon(filepath.Join(tmp, "git"))
	if err != nil {
		return err
	}
	defer gitd.Close()
	cnt, err := startCounter("http://" + st.registry)
	if err != nil {
		return err
	}
	defer cnt.Close()
	host := cnt.Host()
	rekor, err := startCounter(st.rekorURL) // counts mcpbuild's log writes
	if err != nil {
		return err
	}
	defer rekor.Close()

	runID := fmt.Sprint(time.Now().Unix())
	prefix := "bench-" + runID
	fmt.Fprintf(os.Stderr, "creating %d servers over %d repositories (git daemon %s)...\n", c.n, c.repos, gitd.addr)
	servers, err := makeRepos(ctx, gitd, filepath.Join(tmp, "catalog"), runID, prefix, c.n, c.repos)
	if err != nil {
		return err
	}
	// The first publish talks to Rekor directly, as the script's cosign does; the
	// re-publishes through the counter, which counts their log writes (none expected).
	pub := publisher{bin: mcpbuild, host: host, sigRepo: host + "/" + prefix + "/signatures", rekorURL: st.rekorURL,
		pattern: filepath.Join(tmp, "catalog", "servers") + "/..."}

	// 1. first publish
	fmt.Fprintf(os.Stderr, "first publish: mcpbuild publish -j %d --no-cache of %d servers...\n", c.jobs, c.n)
	before, err := rekorSize(ctx, st.rekorURL)
	if err != nil {
		return err
	}
	cnt.Reset()
	cpu0 := snapCPU(st.state)
	first, err := pub.run(ctx, c.jobs, true)
	firstCPU := snapCPU(st.state).since(cpu0)
	if err != nil {
		return err
	}
	firstReqs, _ := cnt.Counts()
	if c.trace {
		for _, p := range cnt.Paths() {
			fmt.Fprintln(os.Stderr, "first-publish request:", p)
		}
	}
	if k := first.count("published"); k != c.n {
		return fmt.Errorf("first publish: %d of %d servers published", k, c.n)
	}
	after, err := rekorSize(ctx, st.rekorURL)
	if err != nil {
		return err
	}
	firstLog := after - before
	fmt.Fprintf(os.Stderr, "first publish: %s (mcpbuild CPU %s), %d registry requests, Rekor +%d\n", first.elapsed.Round(time.Millisecond), first.cpu.Round(time.Millisecond), firstReqs, firstLog)

	// 2. the reference script on a sample
	sc := script{buildctl: buildctl, cosign: st.cosign2, rekorURL: st.rekorURL, host: host, prefix: prefix + "-script", tmp: filepath.Join(tmp, "script")}
	smp := sample(servers, c.sampleK)
	scale := float64(c.n) / float64(len(smp))
	fmt.Fprintf(os.Stderr, "reference script on %d servers, sequential...\n", len(smp))
	cpu0 = snapCPU(st.state)
	seq, err := sc.run(ctx, smp, 1)
	if err != nil {
		return fmt.Errorf("reference script: %w", err)
	}
	seqCPU := snapCPU(st.state).since(cpu0)
	fmt.Fprintf(os.Stderr, "reference script on %d servers, %d workers...\n", len(smp), c.jobs)
	par, err := sc.run(ctx, smp, c.jobs)
	if err != nil {
		return fmt.Errorf("reference script: %w", err)
	}
	seqN := time.Duration(float64(seq) * scale)
	parN := time.Duration(float64(par) * scale)

	// 3. re-publish, first on loopback (the floor: start-up and CPU), then behind a slow registry
	pub.rekorURL = "http://" + rekor.Host()
	fmt.Fprintf(os.Stderr, "re-publish: mcpbuild publish -j %d, no latency...\n", c.rejobs)
	fast, err := pub.run(ctx, c.rejobs, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "re-publish: mcpbuild publish -j %d, %v per registry request...\n", c.rejobs, c.latency)
	cnt.SetDelay(c.latency)
	before, err = rekorSize(ctx, st.rekorURL)
	if err != nil {
		return err
	}
	cnt.Reset()
	rekor.Reset()
	again, err := pub.run(ctx, c.rejobs, false)
	if err != nil {
		return err
	}
	reqs, byMethod := cnt.Counts()
	after, err = rekorSize(ctx, st.rekorURL)
	if err != nil {
		return err
	}
	cnt.SetDelay(0)
	if c.trace {
		for _, p := range cnt.Paths() {
			fmt.Fprintln(os.Stderr, "re-publish request:", p)
		}
	}
	// Requests about a server: its image repository or a .sig/.att tag; the rest (the /v2/
	// pings, the check of the signatures repository) are made once per run.
	perServer := cnt.Count("", func(p string) bool {
		return strings.HasPrefix(p, "/v2/"+prefix+"/bench-") || strings.Contains(p, "/manifests/sha256-")
	})
	logWrites := rekor.Count(http.MethodPost, func(string) bool { return true })
	builds := c.n - again.count("unchanged")
	moved := again.movedIndexes(first)

	t := benchtable.Table{W: os.Stdout, Tool: "mcpbuild", N: c.n, K: len(smp)}
	fmt.Printf("mcpbuild publish vs the script a user would write (buildctl build + cosign sign v2 per server), one run:\n")
	fmt.Printf("%d `FROM scratch` servers over %d git repositories; both --no-cache; mcpbuild also signs and logs a provenance attestation per server;\n", c.n, c.repos)
	if len(smp) < c.n {
		fmt.Printf("the script was timed on %d of the %d servers and extrapolated linearly (x%.1f).\n", len(smp), c.n, scale)
	}
	fmt.Printf("\n")
	t.Header()
	t.Ratio(fmt.Sprintf("first publish, script sequential (mcpbuild -j %d)", c.jobs), first.elapsed, seqN, 0.2, true, true)
	t.Ratio(fmt.Sprintf("first publish, script with %d workers (mcpbuild -j %d)", c.jobs, c.jobs), first.elapsed, parN, 0, false, true)
	t.Bound(fmt.Sprintf("re-publish, %v per registry request (mcpbuild -j %d)", c.latency, c.rejobs), again.elapsed.Round(time.Millisecond).String(), "≤ 5s", again.elapsed <= 5*time.Second)
	t.Info(fmt.Sprintf("re-publish, no latency (mcpbuild -j %d)", c.rejobs), fast.elapsed.Round(time.Millisecond).String())
	t.Bound("re-publish: builds (servers not \"unchanged\")", fmt.Sprint(builds), "0", builds == 0)
	t.Bound("re-publish: new Rekor log entries (POSTs to Rekor)", fmt.Sprint(logWrites), "0", logWrites == 0)
	t.Bound("re-publish: log indexes differing from the first publish's", fmt.Sprint(moved), "0", moved == 0)
	t.Bound("re-publish: registry requests per server", fmt.Sprintf("%.2f + %d per run (%d: %s)", float64(perServer)/float64(c.n), reqs-perServer, reqs, byMethod), "≤ 3", perServer <= 3*c.n)
	fmt.Printf("\nfirst publish: %d registry requests (%.1f per server), Rekor tree +%d; re-publish: Rekor tree +%d (the log is shared with other users of the stack)\n",
		firstReqs, float64(firstReqs)/float64(c.n), firstLog, after-before)
	mine, mineTotal := firstCPU.perServer("mcpbuild", c.n)
	theirs, theirsTotal := seqCPU.perServer("buildctl+cosign", len(smp))
	fmt.Printf("CPU per server (ms of CPU time, /proc and getrusage; the stack is shared, so other users' work counts too):\n")
	fmt.Printf("  first publish (mcpbuild -j %d): %s; total %d ms over %s wall per server\n", c.jobs, mine, mineTotal.Milliseconds(), (first.elapsed / time.Duration(c.n)).Round(time.Millisecond))
	fmt.Printf("  script, sequential:            %s; total %d ms over %s wall per server\n", theirs, theirsTotal.Milliseconds(), (seq / time.Duration(len(smp))).Round(time.Millisecond))
	if t.Failed && c.strict {
		return fmt.Errorf("a goal was missed")
	}
	return nil
}

func findBuildctl(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p, err := exec.LookPath("buildctl"); err == nil {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(home, ".cache", "mcpbuild", "bin", "buildctl")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("no buildctl on $PATH nor at %s (hack/install.sh puts it there); give -buildctl", p)
	}
	return p, nil
}

// publisher runs the mcpbuild binary on the bench catalog.
type publisher struct {
	bin, host, sigRepo, rekorURL, pattern string
}

type result struct {
	elapsed time.Duration
	cpu     time.Duration // user + system time of the mcpbuild process
	reports []struct {
		Name              string `json:"name"`
		Status            string `json:"status"`
		Reason            string `json:"reason"`
		SignatureLogIndex *int64 `json:"signatureLogIndex"`
		AttLogIndex       *int64 `json:"attestationLogIndex"`
	}
}

func (p publisher) run(ctx context.Context, jobs int, noCache bool) (*result, error) {
	args := []string{"publish", "--registry", p.host, "--key", keyFile, "--signatures-repo", p.sigRepo,
		"--rekor-url", p.rekorURL, "-j", fmt.Sprint(jobs), "-o", "json", "--progress", "quiet"}
	if noCache {
		args = append(args, "--no-cache")
	}
	c := exec.CommandContext(ctx, p.bin, append(args, p.pattern)...)
	c.Env = append(os.Environ(), "COSIGN_PASSWORD="+password)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	start := time.Now()
	out, err := c.Output()
	r := &result{elapsed: time.Since(start)}
	if c.ProcessState != nil {
		r.cpu = c.ProcessState.UserTime() + c.ProcessState.SystemTime()
	}
	if jerr := json.Unmarshal(out, &r.reports); jerr != nil {
		return nil, fmt.Errorf("mcpbuild publish: %v (report: %v)\n%s", err, jerr, stderr.String())
	}
	if err != nil {
		for _, rep := range r.reports {
			if rep.Status == "failed" {
				return nil, fmt.Errorf("mcpbuild publish: %v: %s: %s", err, rep.Name, rep.Reason)
			}
		}
		return nil, fmt.Errorf("mcpbuild publish: %w\n%s", err, stderr.String())
	}
	return r, nil
}

func (r *result) count(status string) int {
	k := 0
	for _, rep := range r.reports {
		if rep.Status == status {
			k++
		}
	}
	return k
}

// movedIndexes counts servers whose log indexes differ from first's (a new entry).
func (r *result) movedIndexes(first *result) int {
	idx := map[string][2]int64{}
	get := func(p *int64) int64 {
		if p == nil {
			return -1
		}
		return *p
	}
	for _, rep := range first.reports {
		idx[rep.Name] = [2]int64{get(rep.SignatureLogIndex), get(rep.AttLogIndex)}
	}
	k := 0
	for _, rep := range r.reports {
		if idx[rep.Name] != [2]int64{get(rep.SignatureLogIndex), get(rep.AttLogIndex)} {
			k++
		}
	}
	return k
}
