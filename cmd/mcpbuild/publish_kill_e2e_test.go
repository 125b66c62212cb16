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
	budget := time.Now().Add(100 * time.Second)
	pattern := filepath.Join(s.catalog, "...")
	want := pins(t, pattern)
	rk, err := rekor.GetRekorClient(s.rekorURL)
	if err != nil {
		t.Fatal(err)
	}
	kills := 0
	for round := 0; kills < minKills; round++ {
		if time.Now().After(budget) {
			t.Fatalf("only %d kills within the time budget (want %d)", kills, minKills)
		}
		t.Logf("round %d (%d kills so far)", round, kills)
		kills += killRound(t, s, bin, rk, pattern, want, budget)
	}
	t.Logf("%d kills", kills)
}

// maxKillDelay bounds the random delay between the first signing progress line and the
// kill (signing and attesting 4 servers takes 1-3 s on the local stack).
const maxKillDelay = 700 * time.Millisecond

// killRound publishes with a fresh key into a fresh signatures repository, killing runs
// until one finishes by itself, checks the result and returns the number of kills.
func killRound(t *testing.T, s signStack, bin map[string]string, rk *rclient.Rekor, pattern string, want map[string]string, budget time.Time) int {
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
	if err := os.WriteFile(filepath.Join(dir, "k.pub"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	tag, sigRepo := s.unique(t)
	before := s.logSize(t)
	args := []string{"publish", "--registry", s.registry, "--tag", tag, "--key", key, "--signatures-repo", sigRepo,
		"--rekor-url", s.rekorURL, "--progress", "quiet", "-o", "json", "-j", "4", s.mirror(), pattern}

	kills := 0
	var out []byte
	for {
		if time.Now().After(budget) {
			t.Fatalf("publish did not finish within the time budget (%d kills this round)", kills)
		}
		start, delay := time.Now(), time.Duration(rand.Int64N(int64(maxKillDelay)))
		killed, stdout, stderr, err := runKilledAfter(bin["mcpbuild"], args, delay, budget)
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
	time.Sleep(2 * time.Second) // leaves queued for a killed uploader get integrated
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
// stopped at deadline, an error).
func runKilledAfter(bin string, args []string, delay time.Duration, deadline time.Time) (killed bool, stdout, stderr []byte, err error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), cliutil.EnvCosignPassword+"="+testPass)
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return false, nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return false, nil, nil, err
	}
	signing := make(chan struct{})
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
				close(signing)
			}
		}
	}()
	exited := make(chan error, 1)
	go func() {
		<-scanned
		exited <- cmd.Wait()
	}()
	select {
	case err := <-exited:
		return false, out.Bytes(), errb.Bytes(), err
	case <-signing:
	case <-time.After(time.Until(deadline)):
		_ = cmd.Process.Kill()
		<-exited
		return false, out.Bytes(), errb.Bytes(), errors.New("still running at the test's deadline")
	}
	select {
	case err := <-exited:
		return false, out.Bytes(), errb.Bytes(), err
	case <-time.After(delay):
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	err = <-exited
	if ee, ok := err.(*exec.ExitError); ok && ee.ProcessState.Sys().(syscall.WaitStatus).Signaled() {
		return true, out.Bytes(), errb.Bytes(), nil
	}
	return false, out.Bytes(), errb.Bytes(), err // it finished just before the signal
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
