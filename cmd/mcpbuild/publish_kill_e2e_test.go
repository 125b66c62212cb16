//go:build e2e

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	rekor "github.com/sigstore/rekor/pkg/client"
	rclient "github.com/sigstore/rekor/pkg/generated/client"
	"github.com/sigstore/rekor/pkg/generated/client/entries"
	"github.com/sigstore/rekor/pkg/generated/models"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign"
)

// TestE2EPublishKilled: `mcpbuild publish` of the testdata catalog is SIGKILLed at random
// points of its signing phase (real timing: a random delay of up to maxKillDelay after its
// first "signing" or "attesting" progress line), at least minKills times, each time re-run;
// then it runs to completion. The delays are short, so each run gets a little further than
// the one before and the kills sweep the whole phase (sign, stage, upload, push; attest).
// Every server must verify, each .sig/.att tag hold one layer, and the log hold exactly one
// hashedrekord and one dsse entry per image for the key: counted by reading every entry
// the log gained meanwhile (not through a search index, which misses entries whose
// uploader died before Rekor answered).
//
// Each round uses a fresh key and signatures repository; a round ends when a run finishes
// on its own, and rounds go on until minKills kills (or the time budget is spent).
//
// Timing scales with the machine: a first publish, not killed, measures how long one run
// takes and how long its signing phase lasts here and now (on a busy machine, several
// times what it takes on an idle one). The kill delays are drawn over the same share of
// that phase as on an idle machine (so the kills sweep the phase as they do there, rather
// than falling ever nearer its start, each killed run repeating the whole build check
// first), and the time budget and the wait for the log are multiples of it.
func TestE2EPublishKilled(t *testing.T) {
	s := e2eSign(t)
	const minKills = 10
	dir := t.TempDir()
	bin := map[string]string{"mcpbuild": filepath.Join(dir, "mcpbuild"), "mcpverify": filepath.Join(dir, "mcpverify")}
	for cmd, out := range bin {
		if b, err := exec.Command("go", "build", "-o", out, "github.com/mcpbuild/mcpbuild/cmd/"+cmd).CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", cmd, err, b)
		}
	}
	pattern := filepath.Join(s.catalog, "...")
	want := pins(t, pattern)
	rk, err := rekor.GetRekorClient(s.rekorURL)
	if err != nil {
		t.Fatal(err)
	}
	tm := calibrate(t, s, bin, pattern)
	budget := time.Now().Add(tm.budget)
	if d, ok := t.Deadline(); ok && d.Add(-30*time.Second).Before(budget) {
		budget = d.Add(-30 * time.Second)
		t.Logf("time budget cut to the test binary's -timeout: %v", time.Until(budget).Round(time.Second))
	}
	kills := 0
	for round := 0; kills < minKills; round++ {
		if time.Now().After(budget) {
			t.Fatalf("only %d kills within the %v time budget (want %d)", kills, tm.budget, minKills)
		}
		t.Logf("round %d (%d kills so far)", round, kills)
		kills += killRound(t, s, bin, rk, pattern, want, budget, tm)
	}
	t.Logf("%d kills", kills)
}

// Kill timing on an idle machine: the random delay between the first signing progress
// line and the kill is at most maxKillDelay (signing and attesting 4 servers takes 1-3 s
// on the local stack), and the whole test took 35-60 s within its 100 s budget.
const (
	maxKillDelay = 700 * time.Millisecond
	minBudget    = 100 * time.Second
	// budgetRuns is the budget in unkilled publishes: 10 kills take about 5 rounds of two
	// killed runs, one that finishes, an audit and the log read (some 25 runs); more than
	// twice that. (On a machine at load 20 a killed run takes 5-15 s instead of 1 s, nearly
	// all of it before signing starts: the build check each run repeats.)
	budgetRuns = 60 // at load 18: an 11.7 s publish, a 3.1 s signing phase; 10 kills in 330 s
)

// timing is TestE2EPublishKilled's timing on this machine now.
type timing struct {
	maxDelay time.Duration // bound of the random kill delay
	budget   time.Duration // for the kill rounds
	logWait  time.Duration // for a killed uploader's queued entries to reach the log
}

// calibrate publishes once, unkilled, with a fresh key into a fresh repository (which
// also leaves BuildKit's cache warm for the rounds), and scales the timing by it: the
// kill delay by the signing phase (half of it, at least maxKillDelay), the budget by the
// whole run, the wait for the log (Rekor runs on this machine too) by the signing phase.
func calibrate(t *testing.T, s signStack, bin map[string]string, pattern string) timing {
	t.Helper()
	args, _, _, _ := roundArgs(t, s, pattern)
	start := time.Now()
	killed, _, stderr, phase, err := runKilledAfter(bin["mcpbuild"], args, time.Hour, start.Add(10*time.Minute))
	run := time.Since(start)
	if killed || err != nil {
		t.Fatalf("calibration publish: killed %v, %v\n%s", killed, err, stderr)
	}
	tm := timing{maxDelay: max(maxKillDelay, phase/2), budget: max(minBudget, budgetRuns*run), logWait: max(2*time.Second, phase)}
	t.Logf("calibration: publish %v, signing phase %v: kill delays up to %v, budget %v", run.Round(time.Millisecond),
		phase.Round(time.Millisecond), tm.maxDelay.Round(time.Millisecond), tm.budget.Round(time.Second))
	return tm
}

// roundArgs writes a fresh key pair and returns publish's arguments with it, a fresh tag
// and signatures repository (also returned), and the public key.
func roundArgs(t *testing.T, s signStack, pattern string) (args []string, tag, sigRepo string, pub []byte) {
	t.Helper()
	dir := t.TempDir()
	priv, pub, err := sign.GenerateKeyPair([]byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "k.key")
	if err := os.WriteFile(key, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	tag, sigRepo = s.unique(t)
	return []string{"publish", "--registry", s.registry, "--tag", tag, "--key", key, "--signatures-repo", sigRepo,
		"--rekor-url", s.rekorURL, "--progress", "quiet", "-o", "json", "-j", "4", s.mirror(), pattern}, tag, sigRepo, pub
}

// killRound publishes with a fresh key into a fresh signatures repository, killing runs
// until one finishes by itself, checks the result and returns the number of kills.
func killRound(t *testing.T, s signStack, bin map[string]string, rk *rclient.Rekor, pattern string, want map[string]string, budget time.Time, tm timing) int {
	t.Helper()
	args, tag, sigRepo, pub := roundArgs(t, s, pattern)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "k.pub"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	before := s.logSize(t)

	kills := 0
	var out []byte
	for {
		if time.Now().After(budget) {
			t.Fatalf("publish did not finish within the time budget (%d kills this round)", kills)
		}
		start, delay := time.Now(), time.Duration(rand.Int64N(int64(tm.maxDelay)))
		killed, stdout, stderr, _, err := runKilledAfter(bin["mcpbuild"], args, delay, budget)
		t.Logf("run %d: killed %v (delay %v) after %v", kills+1, killed, delay, time.Since(start).Round(time.Millisecond))
		if killed {
			kills++
			continue
		}
		if err != nil {
			t.Fatalf("publish (after %d kills): %v\n%s", kills, err, stderr)
		}
		out = stdout
		break
	}
	var rs []publish.Report
	if err := json.Unmarshal(out, &rs); err != nil || len(rs) != len(want) {
		t.Fatalf("report %s: %v", out, err)
	}
	for _, r := range rs {
		if r.Status == publish.Failed || r.Commit != want[r.Name] {
			t.Errorf("re-run after the kills: %+v", r)
		}
	}
	if kills == 0 {
		return 0 // finished before the first kill: nothing to check beyond other tests
	}
	t.Logf("round: %d kills, then the run finished", kills)

	// Every server verifies.
	flags := []string{"--key", filepath.Join(dir, "k.pub"), "--rekor-key", s.rekorPub, "--signatures-repo", sigRepo,
		"--registry", s.registry, "--require-signed-revision", "--require-provenance", s.mirror()}
	vout, verr, err := runCmd(bin["mcpverify"], append(flags, "audit", "--catalog", s.catalog, "--tag", tag, "-o", "json")...)
	var audit struct {
		Totals map[string]int `json:"totals"`
	}
	if jerr := json.Unmarshal(vout, &audit); err != nil || jerr != nil || audit.Totals["verified"] != len(want) {
		t.Errorf("mcpverify audit after the kills: %v, totals %v\n%s\n%s", err, audit.Totals, vout, verr)
	}

	// One layer per tag, nothing left staged; the logged artifacts of the attached layers.
	attached := map[string]bool{} // "hashedrekord <payload sha256>", "dsse <envelope sha256>"
	repo, _ := name.NewRepository(sigRepo)
	for _, r := range rs {
		d, _ := name.NewDigest(r.Image)
		h, _ := v1.NewHash(d.DigestStr())
		for suffix, kind := range map[string]string{sign.SignatureSuffix: "hashedrekord", sign.AttestationSuffix: "dsse"} {
			desc, err := remote.Get(sign.Tag(repo, h, suffix))
			if err != nil {
				t.Fatalf("%s: %v", r.Name, err)
			}
			m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Layers) != 1 || m.Annotations[sign.PendingAnnotation] != "" {
				t.Errorf("%s .%s: %d layers, staged %q; want 1 layer, nothing staged", r.Name, suffix, len(m.Layers), m.Annotations[sign.PendingAnnotation])
			}
			for _, l := range m.Layers {
				attached[kind+" "+l.Digest.Hex] = true
			}
		}
	}

	// The log: exactly the attached entries by this key, no other.
	time.Sleep(tm.logWait) // leaves queued for a killed uploader get integrated
	after := s.logSize(t)
	logged := entriesByKey(t, rk, before, after, pub)
	t.Logf("log entries %d..%d: %d by this round's key", before, after, len(logged))
	counts := map[string]int{}
	for _, a := range logged {
		counts[a]++
	}
	for a, n := range counts {
		if n > 1 || !attached[a] {
			t.Errorf("log entry %s by this key: %d times, attached %v (want once, attached)", a, n, attached[a])
		}
	}
	for a := range attached {
		if counts[a] == 0 {
			t.Errorf("attached %s is not in the log range read", a)
		}
	}
	return kills
}

// runKilledAfter starts the command and SIGKILLs it delay after its first progress line
// about signing or attesting; killed is false when it exited by itself first (or was
// stopped at deadline, an error). phase is the time from that line to the exit or kill.
func runKilledAfter(bin string, args []string, delay time.Duration, deadline time.Time) (killed bool, stdout, stderr []byte, phase time.Duration, err error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), cliutil.EnvCosignPassword+"="+testPass)
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return false, nil, nil, 0, err
	}
	if err := cmd.Start(); err != nil {
		return false, nil, nil, 0, err
	}
	signing := make(chan struct{})
	var signedAt time.Time
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pipe)
		once := false
		for sc.Scan() {
			line := sc.Text()
			errb.WriteString(line + "\n")
			if !once && (strings.Contains(line, ": signing ") || strings.Contains(line, ": attesting ")) {
				once = true
				signedAt = time.Now()
				close(signing)
			}
		}
	}()
	exited := make(chan error, 1)
	go func() {
		<-scanned
		exited <- cmd.Wait()
	}()
	since := func() time.Duration { // read after exited or signing: ordered by the channels
		if signedAt.IsZero() {
			return 0
		}
		return time.Since(signedAt)
	}
	select {
	case err := <-exited:
		return false, out.Bytes(), errb.Bytes(), since(), err
	case <-signing:
	case <-time.After(time.Until(deadline)):
		_ = cmd.Process.Kill()
		<-exited
		return false, out.Bytes(), errb.Bytes(), 0, errors.New("still running at the test's deadline")
	}
	select {
	case err := <-exited:
		return false, out.Bytes(), errb.Bytes(), since(), err
	case <-time.After(delay):
	case <-time.After(time.Until(deadline)):
		_ = cmd.Process.Kill()
		<-exited
		return false, out.Bytes(), errb.Bytes(), 0, errors.New("still running at the test's deadline")
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	err = <-exited
	if ee, ok := err.(*exec.ExitError); ok && ee.ProcessState.Sys().(syscall.WaitStatus).Signaled() {
		return true, out.Bytes(), errb.Bytes(), since(), nil
	}
	return false, out.Bytes(), errb.Bytes(), since(), err // it finished just before the signal
}

func runCmd(bin string, args ...string) ([]byte, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.Bytes(), errb.Bytes(), err
}

// entriesByKey reads the log's entries [from, to) and returns, for those whose key is
// pubPEM, "hashedrekord <payload sha256>" or "dsse <envelope sha256>".
func entriesByKey(t *testing.T, rk *rclient.Rekor, from, to int64, pubPEM []byte) []string {
	t.Helper()
	ours := base64.StdEncoding.EncodeToString(pubPEM)
	var found []string
	for i := from; i < to; i += 10 {
		var idx []*int64
		for j := i; j < min(i+10, to); j++ {
			idx = append(idx, &j)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		ok, err := rk.Entries.SearchLogQuery(entries.NewSearchLogQueryParamsWithContext(ctx).WithEntry(&models.SearchLogQuery{LogIndexes: idx}))
		cancel()
		if err != nil {
			t.Fatalf("reading log entries %d..%d: %v", i, i+10, err)
		}
		if len(ok.Payload) != len(idx) {
			t.Fatalf("log entries %d..%d: %d answered", i, i+int64(len(idx)), len(ok.Payload))
		}
		for _, e := range ok.Payload {
			for _, anon := range e {
				if a := artifactByKey(t, anon.Body, ours); a != "" {
					found = append(found, a)
				}
			}
		}
	}
	return found
}

func artifactByKey(t *testing.T, body any, ours string) string {
	s, _ := body.(string)
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("entry body: %v", err)
	}
	var b struct {
		Kind string `json:"kind"`
		Spec struct {
			Data struct {
				Hash struct{ Value string } `json:"hash"`
			} `json:"data"`
			Signature struct {
				PublicKey struct{ Content string } `json:"publicKey"`
			} `json:"signature"`
			EnvelopeHash struct{ Value string } `json:"envelopeHash"`
			Signatures   []struct {
				Verifier string `json:"verifier"`
			} `json:"signatures"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return ""
	}
	switch b.Kind {
	case "hashedrekord":
		if b.Spec.Signature.PublicKey.Content == ours {
			return "hashedrekord " + b.Spec.Data.Hash.Value
		}
	case "dsse":
		for _, sg := range b.Spec.Signatures {
			if sg.Verifier == ours {
				return "dsse " + b.Spec.EnvelopeHash.Value
			}
		}
	}
	return ""
}
