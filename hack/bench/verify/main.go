// Command verify benchmarks `mcpverify audit` of a synthetic catalog against a loop of
// the real `cosign verify` calls (v2, and v3 when installed) on the local stack, every
// registry request through latencyproxy with a delay, and prints a Markdown table of the
// issue's goals (metric, mcpverify, reference, ratio, goal, pass/FAIL).
//
//	. .stack/env && go run ./hack/bench/verify [-n 300] [-delay 50ms] [-cosign-sample 30] [-strict]
//
// It pushes N small images, each to its own repository with its own commit in the
// revision label, signs each with the cosign v2 CLI (test key, the stack's Rekor, into
// <proxy>/mcpbench/signatures), embeds each payload in its .sig layer descriptor as
// mcpbuild publish does (-embed=false: cosign's own layout), and writes a catalog
// (servers/<name>/server.yaml pinned to each image's commit). One more image keeps
// cosign's own layout for the single-image row. It exits 1 when the run fails, and with
// -strict when a goal is missed.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mcpbuild/mcpbuild/hack/bench/benchtable"
	"github.com/mcpbuild/mcpbuild/hack/bench/latencyproxy"
)

const (
	keyFile       = "testdata/keys/test-only-a.key" // test-only key pair, committed on purpose
	pubFile       = "testdata/keys/test-only-a.pub"
	password      = "test-only-password"
	revisionLabel = "org.opencontainers.image.revision"
	project       = "https://github.com/example/mcpbench"
)

type env struct {
	registry, rekorURL, rekorPub, trustedRoot, cosign2, cosign3 string
}

type config struct {
	n, sample, jobs, hostJobs, prepJobs int
	delay                               time.Duration
	handshake, embed, strict            bool
	sweep                               string
}

func main() {
	var c config
	flag.IntVar(&c.n, "n", 300, "number of images (catalog entries) audited")
	flag.DurationVar(&c.delay, "delay", 50*time.Millisecond, "latency added to every registry request")
	flag.IntVar(&c.sample, "cosign-sample", 30, "cosign verify is timed on this many images spread over the N, and extrapolated linearly to N")
	// By default the table measures what users get: mcpverify's own -j and
	// --jobs-per-registry (64 and 64). Given, the table also shows the defaults.
	flag.IntVar(&c.jobs, "j", 0, "mcpverify audit -j (0: mcpverify's default)")
	flag.IntVar(&c.hostJobs, "jobs-per-registry", 0, "mcpverify --jobs-per-registry (0: mcpverify's default)")
	flag.IntVar(&c.prepJobs, "prepare-j", 4, "images pushed and signed at once while preparing")
	flag.BoolVar(&c.handshake, "handshake", false, "also delay every new connection by -delay (a TCP handshake's round trip)")
	flag.BoolVar(&c.embed, "embed", true, "embed each payload in its .sig layer descriptor, as mcpbuild publish does (false: cosign's own layout)")
	flag.BoolVar(&c.strict, "strict", false, "exit 1 when a goal is missed (default: only when the run itself fails)")
	flag.StringVar(&c.sweep, "sweep", "", "also time cold and warm audits for each J/H (-j J --jobs-per-registry H), e.g. 32/16,64/64,128/128")
	flag.Parse()
	if err := bench(c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func bench(c config) error {
	e := env{os.Getenv("MCPBUILD_E2E_REGISTRY"), os.Getenv("MCPBUILD_E2E_REKOR_URL"), os.Getenv("MCPBUILD_E2E_REKOR_PUBKEY"),
		os.Getenv("MCPBUILD_E2E_TRUSTED_ROOT"), os.Getenv("MCPBUILD_E2E_COSIGN2"), os.Getenv("MCPBUILD_E2E_COSIGN3")}
	if e.registry == "" || e.rekorURL == "" || e.rekorPub == "" || e.cosign2 == "" {
		return fmt.Errorf("needs the local stack with cosign: . .stack/env (MCPBUILD_E2E_REGISTRY, _REKOR_URL, _REKOR_PUBKEY, _COSIGN2)")
	}
	if c.n < 1 || c.sample < 1 {
		return fmt.Errorf("-n and -cosign-sample must be at least 1")
	}
	tmp, err := os.MkdirTemp("", "mcpverify-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "mcpverify")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/mcpverify").CombinedOutput(); err != nil {
		return fmt.Errorf("building mcpverify: %v\n%s", err, out)
	}
	proxy, err := latencyproxy.Start("http://"+e.registry, 0)
	if err != nil {
		return err
	}
	defer proxy.Close()
	host := proxy.Host()
	sigRepo := host + "/mcpbench/signatures" // its own repository: the stack is shared
	stamp := strconv.FormatInt(time.Now().Unix(), 10)

	fmt.Fprintf(os.Stderr, "preparing %d images signed with cosign v2 through %s...\n", c.n+1, host)
	images, err := prepare(e, host, sigRepo, "a"+stamp, c.n, c.embed, c.prepJobs)
	if err != nil {
		return err
	}
	one, err := prepare(e, host, sigRepo, "one"+stamp, 1, false, 1)
	if err != nil {
		return err
	}
	catalog := filepath.Join(tmp, "servers")
	if err := writeCatalog(catalog, images); err != nil {
		return err
	}
	m := mcpverify{bin: bin, e: e, sig: sigRepo, reg: host}
	var jobFlags []string // -j goes after "audit"; --jobs-per-registry anywhere
	if c.hostJobs > 0 {
		jobFlags = append(jobFlags, "--jobs-per-registry", strconv.Itoa(c.hostJobs))
	}
	var auditFlags []string
	if c.jobs > 0 {
		auditFlags = []string{"-j", strconv.Itoa(c.jobs)}
	}
	cacheDir := func(what string) string { return filepath.Join(tmp, "cache-"+what) }
	audit := func(flags ...string) (run, error) {
		return timed(proxy, m.audit(catalog, append(append([]string{}, jobFlags...), flags...), auditFlags))
	}

	proxy.SetDelay(c.delay)
	if c.handshake {
		proxy.SetHandshakeDelay(c.delay)
	}
	r := results{}
	fmt.Fprintf(os.Stderr, "single image...\n")
	oneRef := one[0].tag
	single := []string{"--skip-provenance", "--commit", one[0].commit, oneRef}
	if r.one, err = median(3, func() (run, error) { return timed(proxy, m.cmd(append([]string{"--no-cache"}, single...)...)) }); err != nil {
		return err
	}
	if _, err = timed(proxy, m.cmd(append([]string{"--cache-dir", cacheDir("one")}, single...)...)); err != nil {
		return err
	}
	if r.oneWarm, err = median(3, func() (run, error) {
		return timed(proxy, m.cmd(append([]string{"--cache-dir", cacheDir("one")}, single...)...))
	}); err != nil {
		return err
	}
	if r.oneCosign2, err = median(3, func() (run, error) { return timed(proxy, cosignVerify(e.cosign2, e, sigRepo, oneRef, false)) }); err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "audits of %d servers...\n", c.n)
	steps := []struct {
		dst   *run
		flags []string
	}{
		{&r.cold, []string{"--skip-provenance", "--cache-dir", cacheDir("a")}},
		{&r.warm, []string{"--skip-provenance", "--cache-dir", cacheDir("a")}},
		{&r.noCache, []string{"--skip-provenance", "--no-cache"}},
		{&r.provCold, []string{"--cache-dir", cacheDir("p")}},
		{&r.provWarm, []string{"--cache-dir", cacheDir("p")}},
	}
	for _, s := range steps {
		if *s.dst, err = audit(s.flags...); err != nil {
			return err
		}
	}
	if c.jobs > 0 || c.hostJobs > 0 { // the same with mcpverify's defaults
		for _, dst := range []*run{&r.defCold, &r.defWarm} {
			if *dst, err = timed(proxy, m.audit(catalog, []string{"--skip-provenance", "--cache-dir", cacheDir("d")}, nil)); err != nil {
				return err
			}
		}
	}

	var refs []string
	k := min(c.sample, c.n)
	for i := range k {
		refs = append(refs, images[i*c.n/k].tag)
	}
	scale := float64(c.n) / float64(k)
	fmt.Fprintf(os.Stderr, "cosign v2 verify of %d images...\n", k)
	if r.cosign2, err = timed(proxy, cosignLoop(e.cosign2, e, sigRepo, refs, false)...); err != nil {
		return err
	}
	r.cosign2N = time.Duration(float64(r.cosign2.elapsed) * scale)
	if e.cosign3 != "" {
		fmt.Fprintf(os.Stderr, "cosign v3 verify of %d images...\n", k)
		if r.cosign3, err = timed(proxy, cosignLoop(e.cosign3, e, sigRepo, refs, true)...); err != nil {
			return err
		}
		r.cosign3N = time.Duration(float64(r.cosign3.elapsed) * scale)
	}
	proxy.SetDelay(0)
	proxy.SetHandshakeDelay(0)
	if r.floor, err = audit("--skip-provenance", "--cache-dir", cacheDir("floor")); err != nil {
		return err
	}

	t := benchtable.Table{W: os.Stdout, Tool: "mcpverify", N: c.n, K: k}
	layout := "publish layout (payloads embedded in the .sig descriptors)"
	if !c.embed {
		layout = "cosign layout (payload blobs)"
	}
	fmt.Printf("mcpverify audit vs a loop of cosign verify, one run: %d catalog entries, each its own repository and commit, signed by the cosign v2 CLI, %s;\n", c.n, layout)
	fmt.Printf("%v added to every registry request by latencyproxy%s; mcpverify %s; Rekor bundles checked offline by all.\n",
		c.delay, map[bool]string{true: " and to every new connection", false: ""}[c.handshake], jobsText(c))
	if k < c.n {
		fmt.Printf("cosign verify was timed on %d of the %d images and extrapolated linearly (x%.1f).\n", k, c.n, scale)
	}
	fmt.Printf("\n")
	t.Header()
	t.Ratio("one image, cosign layout: mcpverify --no-cache vs cosign v2 (median of 3)", r.one.elapsed, r.oneCosign2.elapsed, 0.45, true, false)
	t.Bound("one image: registry round trips after the ping", strconv.Itoa(r.one.roundTrips), "2", r.one.roundTrips == 2)
	t.Ratio("audit, cold cache (--skip-provenance) vs cosign v2 loop", r.cold.elapsed, r.cosign2N, 0.02, true, true)
	t.Bound("audit, cold cache: time", r.cold.elapsed.Round(time.Millisecond).String(), "≤ 1.5s", r.cold.elapsed <= 1500*time.Millisecond)
	t.Ratio("audit, warm cache vs the cold audit", r.warm.elapsed, r.cold.elapsed, 0.5, true, false)
	t.Bound("audit, warm cache: manifest GETs", strconv.Itoa(r.warm.counts.ManifestGets), "0", r.warm.counts.ManifestGets == 0)
	t.Ratio("audit, --no-cache vs cosign v2 loop", r.noCache.elapsed, r.cosign2N, 0.02, true, true)
	t.Bound("audit, --no-cache: time", r.noCache.elapsed.Round(time.Millisecond).String(), "≤ 1.5s", r.noCache.elapsed <= 1500*time.Millisecond)
	t.Ratio("audit with provenance (default), cold cache vs cosign v2 loop", r.provCold.elapsed, r.cosign2N, 0, false, true)
	t.Ratio("audit with provenance, warm vs cold", r.provWarm.elapsed, r.provCold.elapsed, 0, false, false)
	if e.cosign3 != "" {
		t.Ratio("audit, cold cache vs cosign v3 loop", r.cold.elapsed, r.cosign3N, 0, false, true)
	}
	if r.defCold.elapsed > 0 {
		t.Info("audit, cold cache, mcpverify's default -j and --jobs-per-registry", r.defCold.elapsed.Round(time.Millisecond).String())
		t.Info("audit, warm cache, mcpverify's default -j and --jobs-per-registry", fmt.Sprintf("%s (%.3f of cold)", r.defWarm.elapsed.Round(time.Millisecond), float64(r.defWarm.elapsed)/float64(r.defCold.elapsed)))
	}
	t.Info("one image, warm cache (median of 3)", fmt.Sprintf("%s, %d round trip(s)", r.oneWarm.elapsed.Round(time.Millisecond), r.oneWarm.roundTrips))
	t.Info("audit, cold cache, no latency (the floor: start-up and CPU)", r.floor.elapsed.Round(time.Millisecond).String())

	fmt.Printf("\n| run | time | CPU | registry requests (proxy) | round trips per image | connections |\n|---|---|---|---|---|---|\n")
	for _, x := range []struct {
		name string
		r    run
		n    int
	}{{"one image --no-cache", r.one, 1}, {"one image warm", r.oneWarm, 1}, {"cosign v2, one image", r.oneCosign2, 1},
		{"audit cold", r.cold, c.n}, {"audit warm", r.warm, c.n}, {"audit --no-cache", r.noCache, c.n},
		{"audit cold, provenance", r.provCold, c.n}, {"audit warm, provenance", r.provWarm, c.n},
		{"audit cold, default -j", r.defCold, c.n}, {"audit warm, default -j", r.defWarm, c.n},
		{fmt.Sprintf("cosign v2 loop (K=%d)", k), r.cosign2, k}, {fmt.Sprintf("cosign v3 loop (K=%d)", k), r.cosign3, k}} {
		if x.r.elapsed == 0 {
			continue
		}
		rt := "-"
		if x.r.roundTrips > 0 {
			rt = fmt.Sprintf("%.2f", float64(x.r.roundTrips)/float64(x.n))
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %d |\n", x.name, x.r.elapsed.Round(time.Millisecond), x.r.cpu.Round(time.Millisecond), x.r.requests(), rt, x.r.conns)
	}
	if c.sweep != "" {
		proxy.SetDelay(c.delay)
		if err := sweep(c, proxy, m, catalog, tmp); err != nil {
			return err
		}
	}
	if t.Failed && c.strict {
		return fmt.Errorf("a goal was missed")
	}
	return nil
}

type results struct {
	one, oneWarm, oneCosign2                run
	cold, warm, noCache, provCold, provWarm run
	cosign2, cosign3                        run
	cosign2N, cosign3N                      time.Duration
	floor, defCold, defWarm                 run
}

func jobsText(c config) string {
	var parts []string
	if c.jobs > 0 {
		parts = append(parts, fmt.Sprintf("-j %d", c.jobs))
	}
	if c.hostJobs > 0 {
		parts = append(parts, fmt.Sprintf("--jobs-per-registry %d", c.hostJobs))
	}
	if len(parts) == 0 {
		return "with its default -j and --jobs-per-registry"
	}
	return "with " + strings.Join(parts, " ")
}

// sweep times a cold and a warm audit for each J/H of -sweep.
func sweep(c config, proxy *latencyproxy.Proxy, m mcpverify, catalog, tmp string) error {
	fmt.Printf("\n| -j / --jobs-per-registry | cold | warm | warm/cold | --no-cache |\n|---|---|---|---|---|\n")
	for i, s := range strings.Split(c.sweep, ",") {
		j, h, ok := strings.Cut(strings.TrimSpace(s), "/")
		if !ok {
			return fmt.Errorf("-sweep %q: want J/H", s)
		}
		dir := filepath.Join(tmp, fmt.Sprintf("sweep-%d", i))
		flags := []string{"--skip-provenance", "--jobs-per-registry", h}
		var rs [3]run
		for k, extra := range [][]string{{"--cache-dir", dir}, {"--cache-dir", dir}, {"--no-cache"}} {
			r, err := timed(proxy, m.audit(catalog, append(append([]string{}, flags...), extra...), []string{"-j", j}))
			if err != nil {
				return err
			}
			rs[k] = r
		}
		fmt.Printf("| %s/%s | %s | %s | %.3f | %s |\n", j, h, rs[0].elapsed.Round(time.Millisecond), rs[1].elapsed.Round(time.Millisecond),
			float64(rs[1].elapsed)/float64(rs[0].elapsed), rs[2].elapsed.Round(time.Millisecond))
	}
	return nil
}
