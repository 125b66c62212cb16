package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mcpbuild/mcpbuild/hack/bench/latencyproxy"
)

// run is one timed process (or loop of processes) and what the proxy saw.
type run struct {
	elapsed    time.Duration
	cpu        time.Duration // user + system time of the process(es)
	counts     latencyproxy.Counts
	conns      int64
	roundTrips int // mcpverify --stats: sequential registry round trips, summed over images
	stats      string
}

// requests is the run's registry requests by method, and its manifest and blob GETs.
func (r run) requests() string {
	var ms []string
	for m, n := range r.counts.Methods {
		ms = append(ms, fmt.Sprintf("%s %d", m, n))
	}
	sort.Strings(ms)
	return fmt.Sprintf("%d (%s; manifest GETs %d, blob GETs %d)", r.counts.Requests, strings.Join(ms, ", "), r.counts.ManifestGets, r.counts.BlobGets)
}

var roundTripsRE = regexp.MustCompile(`in (\d+) round trips`)

// timed runs c through the proxy (counters reset first) and returns what it cost.
func timed(proxy *latencyproxy.Proxy, cs ...*exec.Cmd) (run, error) {
	proxy.Reset()
	var r run
	start := time.Now()
	var errs bytes.Buffer
	for _, c := range cs {
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		err := c.Run()
		if c.ProcessState != nil {
			r.cpu += c.ProcessState.UserTime() + c.ProcessState.SystemTime()
		}
		if err != nil {
			return r, fmt.Errorf("%s: %v\n%s", strings.Join(c.Args, " "), err, tail(out.String()))
		}
		errs.Write(out.Bytes())
	}
	r.elapsed = time.Since(start)
	r.counts, r.conns = proxy.Counts(), proxy.Connections()
	if m := roundTripsRE.FindStringSubmatch(errs.String()); m != nil {
		r.roundTrips, _ = strconv.Atoi(m[1])
		for _, l := range strings.Split(errs.String(), "\n") {
			if strings.Contains(l, "round trips") {
				r.stats = strings.TrimSpace(l)
			}
		}
	}
	return r, nil
}

// median runs f k times and returns the run of median time.
func median(k int, f func() (run, error)) (run, error) {
	var rs []run
	for range k {
		r, err := f()
		if err != nil {
			return r, err
		}
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].elapsed < rs[j].elapsed })
	return rs[len(rs)/2], nil
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

func execQuiet(c *exec.Cmd) error {
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Run(); err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(c.Args, " "), err, tail(out.String()))
	}
	return nil
}

// mcpverify builds mcpverify command lines: the trust flags, --stats, and extra flags.
type mcpverify struct {
	bin string
	e   env
	sig string // signatures repository
	reg string // registry host (the proxy)
}

func (m mcpverify) cmd(flags ...string) *exec.Cmd {
	args := append([]string{"--key", pubFile, "--rekor-key", m.e.rekorPub, "--signatures-repo", m.sig,
		"--registry", m.reg, "--stats"}, flags...)
	c := exec.Command(m.bin, args...)
	c.Env = os.Environ()
	return c
}

// audit is `mcpverify [flags] audit --catalog dir --tag v1 [audit flags]`.
func (m mcpverify) audit(dir string, flags, auditFlags []string) *exec.Cmd {
	return m.cmd(append(append(flags, "audit", "--catalog", dir, "--tag", "v1"), auditFlags...)...)
}

// cosignVerify is one `cosign verify --key` of ref (v3: with the stack's trusted root).
func cosignVerify(bin string, e env, sigRepo, ref string, v3 bool) *exec.Cmd {
	args := []string{"verify", "--key", pubFile}
	if v3 && e.trustedRoot != "" {
		args = append(args, "--trusted-root", e.trustedRoot)
	}
	c := exec.Command(bin, append(args, ref)...)
	c.Env = append(os.Environ(), "COSIGN_REPOSITORY="+sigRepo, "SIGSTORE_REKOR_PUBLIC_KEY="+e.rekorPub)
	return c
}

// cosignLoop is a loop of cosign verify calls, one per ref.
func cosignLoop(bin string, e env, sigRepo string, refs []string, v3 bool) []*exec.Cmd {
	var cs []*exec.Cmd
	for _, r := range refs {
		cs = append(cs, cosignVerify(bin, e, sigRepo, r, v3))
	}
	return cs
}
