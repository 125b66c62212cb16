package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// childEnv makes the test binary run mcpverify itself (TestMain), so that memory tests
// measure a process of its own: the real command line, flags to exit code.
const childEnv = "MCPVERIFY_TEST_CHILD"

// hwmEnv names the file where the child writes its peak RSS (VmHWM, kB) when it is done:
// the exit status's rusage would not do, Linux carries the parent's peak into it.
const hwmEnv = "MCPVERIFY_TEST_HWM"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		code := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
		if p := os.Getenv(hwmEnv); p != "" {
			_ = os.WriteFile(p, []byte(strconv.FormatInt(statusKB(os.Getpid(), "VmHWM:"), 10)), 0o644)
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// The memory goal: images with hostile content as large as the per-item limits allow
// stay under this peak RSS, at -j 8, at -j 32 and at mcpverify's defaults (-j 64).
const maxPeakRSS = 256 << 20

// killRSS ends a child that goes far past the goal (a regression must not take the
// machine with it: before the budget, 8 such images took about 11.7 GB).
const killRSS = 1 << 30

// hostileCase puts one kind of hostile content next to an image; shared is made once
// for all images (signing megabytes is slow) and kept between calls.
type hostileCase struct {
	name  string
	image func(f *verifytest.Fixture, repo name.Repository) name.Digest // nil: a small good image
	setup func(f *verifytest.Fixture, img name.Digest, shared *[]byte)
	want  string // every image's verdict
}

func hostileCases() []hostileCase {
	att := func(size int) func(*verifytest.Fixture, name.Digest, *[]byte) {
		return func(f *verifytest.Fixture, img name.Digest, shared *[]byte) {
			f.Sign(img)
			if *shared == nil {
				*shared = f.HostileEnvelope(img, size)
			}
			f.AttestWith(img, *shared, 32)
		}
	}
	tag := func(f *verifytest.Fixture, img name.Digest, suffix string) name.Tag {
		h, _ := v1.NewHash(img.DigestStr())
		return sign.Tag(f.SigRepo, h, suffix)
	}
	annotated := func(f *verifytest.Fixture, img name.Digest, suffix string) {
		l := verifytest.HostileLayer([]byte("{}"))
		l.Desc.Annotations["junk"] = strings.Repeat("x", 4<<20-4096)
		f.PushLayers(tag(f, img, suffix), l)
	}
	return []hostileCase{
		{"att: 32 DSSE layers of 8 MiB", nil, att(8 << 20), "COULD NOT VERIFY: provenance"},
		{"att: 32 DSSE layers at the envelope limit", nil, att(verify.MaxEnvelopeBytes), "COULD NOT VERIFY: provenance"},
		{"referrers: 31 bundles at the envelope limit", nil, func(f *verifytest.Fixture, img name.Digest, shared *[]byte) {
			f.SignBundle(img, verifytest.BundleSpec{})
			if *shared == nil {
				*shared = f.HostileBundle(img, nil, verify.MaxEnvelopeBytes)
			}
			f.ReferWith(img, *shared, "https://slsa.dev/provenance/v1", 31)
		}, "COULD NOT VERIFY: provenance"},
		{"sig: a manifest of 4 MiB of empty layers", nil, func(f *verifytest.Fixture, img name.Digest, _ *[]byte) {
			f.Attest(img)
			f.PushManyLayers(tag(f, img, sign.SignatureSuffix), 4<<20)
		}, "COULD NOT VERIFY: signature"},
		// Read and decoded whole, but not by this key: a definite answer.
		{"att: a manifest of 4 MiB of annotation", nil, func(f *verifytest.Fixture, img name.Digest, _ *[]byte) {
			f.Sign(img)
			annotated(f, img, sign.AttestationSuffix)
		}, "NOT VERIFIED: provenance: no provenance by this key"},
		// Every read at its per-item limit at once: an 8 MiB config, a 4 MiB image
		// manifest, 4 MiB .sig and .att manifests (one large annotation each, so few JSON
		// values). Each is within its limit; together they exceed the per-image budget,
		// which refuses the config before reading it: the .sig manifest, read and decoded
		// whole, already says no.
		{"all: 8 MiB config, 4 MiB image, .sig and .att manifests", bigImage(ocireg.MaxConfig, ocireg.MaxManifest), func(f *verifytest.Fixture, img name.Digest, _ *[]byte) {
			annotated(f, img, sign.SignatureSuffix)
			annotated(f, img, sign.AttestationSuffix)
		}, "NOT VERIFIED: signature: signature 1 of 1: layer has no dev.cosignproject.cosign/signature annotation"},
		// The config at its limit next to a good signature and provenance: read (under the
		// large-item semaphore) and decoded whole, and the image verifies.
		{"config: 8 MiB, signed and attested", bigImage(ocireg.MaxConfig, 0), func(f *verifytest.Fixture, img name.Digest, _ *[]byte) {
			f.Sign(img)
			f.Attest(img)
		}, "VERIFIED"},
	}
}

// bigImage pushes an image whose config (labelled with the pinned commit) and manifest
// are just under cfg and man bytes, with one large label and annotation (man 0: none).
func bigImage(cfg, man int) func(*verifytest.Fixture, name.Repository) name.Digest {
	return func(f *verifytest.Fixture, repo name.Repository) name.Digest {
		f.T.Helper()
		img, err := random.Image(64, 1)
		if err != nil {
			f.T.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			f.T.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.Config.Labels = map[string]string{catalog.RevisionLabel: verifytest.PinCommit, "junk": strings.Repeat("y", cfg-4096)}
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			f.T.Fatal(err)
		}
		if man > 0 {
			img = mutate.Annotations(img, map[string]string{"junk": strings.Repeat("x", man-4096)}).(v1.Image)
		}
		if err := remote.Write(repo.Tag("v1"), img); err != nil {
			f.T.Fatal(err)
		}
		h, err := img.Digest()
		if err != nil {
			f.T.Fatal(err)
		}
		return repo.Digest(h.String())
	}
}

// A registry serving hostile content as large as each per-item limits allow (the
// issue's .att of 32 DSSE layers of 8 MiB, the same at the envelope limit, bundle
// referrers at that limit, a .sig manifest of 4 MiB of empty layers, an .att manifest of
// 4 MiB, every manifest and the config at its limit at once, an 8 MiB config) must not
// drive mcpverify -j 8 over 256 MiB of peak RSS for 8 images; the verdicts are "could not
// check" where the registry failed to serve something checkable.
func TestHostileContentMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns mcpverify on 8 hostile images")
	}
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			f, flags := setup(t)
			checkHostileMemory(t, f, flags, c, hostileRun{8, []string{"-j", "8"}}, func(i int) name.Repository { return f.Repo(fmt.Sprintf("mcp/hostile%d", i)) })
		})
	}
}

// The same goal at -j 32 --jobs-per-registry 16 (mcpverify's defaults before) and at
// its defaults (-j 64, all 64 in flight on one registry), with the hostile content that
// holds the most per image (every read at its limit at once) and with images that each
// hold an 8 MiB config and verify: what images hold is bounded by the run, not by the
// images in flight (before the heavy slots, the first case peaked at 374 MiB at 32/16
// and past 1 GiB at 64).
func TestHostileContentMemoryAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns mcpverify on 32 and 64 hostile images")
	}
	runs := []hostileRun{{32, []string{"-j", "32", "--jobs-per-registry", "16"}}, {64, nil}}
	for _, c := range hostileCases() {
		if !strings.HasPrefix(c.name, "all:") && !strings.HasPrefix(c.name, "config:") {
			continue
		}
		for _, r := range runs {
			t.Run(fmt.Sprintf("%s/%d images %s", c.name, r.images, r.flags()), func(t *testing.T) {
				f, flags := setup(t)
				checkHostileMemory(t, f, flags, c, r, func(i int) name.Repository { return f.Repo(fmt.Sprintf("mcp/hostile%d", i)) })
			})
		}
	}
}

// hostileRun is how many images checkHostileMemory puts the hostile content next to,
// and the concurrency flags mcpverify runs with (none: its defaults).
type hostileRun struct {
	images int
	jobs   []string
}

func (r hostileRun) flags() string {
	if len(r.jobs) == 0 {
		return "(default -j)"
	}
	return strings.Join(r.jobs, " ")
}

// checkHostileMemory puts c's content next to r.images images (in the repositories repo
// names) and runs mcpverify on them with flags and r's concurrency flags, in a process of
// its own: its peak RSS must stay under maxPeakRSS and every verdict must be c.want.
func checkHostileMemory(t *testing.T, f *verifytest.Fixture, flags []string, c hostileCase, r hostileRun, repo func(i int) name.Repository) {
	t.Helper()
	var args []string
	var shared []byte
	for i := range r.images {
		var img name.Digest
		if c.image != nil {
			img = c.image(f, repo(i))
		} else {
			img = f.PushImage(repo(i), "v1", verifytest.PinCommit)
		}
		c.setup(f, img, &shared)
		args = append(args, img.String())
	}
	start := time.Now()
	args = append(append(append(append([]string(nil), flags...), r.jobs...), "--require-provenance", "--commit", verifytest.PinCommit), args...)
	code, out, peak := runChild(t, args...)
	t.Logf("%s: %d images %s: exit %d, peak RSS %d MiB, %s", c.name, r.images, r.flags(), code, peak>>20, time.Since(start).Round(time.Millisecond))
	if peak > maxPeakRSS {
		t.Errorf("peak RSS %d MiB for %d hostile images %s, want at most %d MiB", peak>>20, r.images, r.flags(), maxPeakRSS>>20)
	}
	wantCode := cliutil.ExitUnreachable
	switch {
	case strings.HasPrefix(c.want, "NOT VERIFIED"):
		wantCode = cliutil.ExitFailed
	case c.want == "VERIFIED":
		wantCode = cliutil.ExitOK
	}
	if code != wantCode || strings.Count(out, ": "+c.want) != r.images {
		t.Errorf("exit %d, want %d with every image %q\n%s", code, wantCode, c.want, out)
	}
}

// runChild runs mcpverify args in a process of its own and returns its exit code, stdout
// and peak RSS in bytes. A child past killRSS is killed (the test then fails on the
// peak).
func runChild(t *testing.T, args ...string) (int, string, int64) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, args...)
	hwm := filepath.Join(t.TempDir(), "vmhwm")
	cmd.Env = []string{childEnv + "=1", hwmEnv + "=" + hwm, "HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	killed := make(chan int64, 1)
	go func() { // watchdog
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if rss := statusKB(cmd.Process.Pid, "VmRSS:") << 10; rss > killRSS {
					_ = cmd.Process.Kill()
					killed <- rss
					return
				}
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	select {
	case rss := <-killed:
		t.Errorf("killed at %d MiB RSS (limit %d MiB)", rss>>20, killRSS>>20)
		return -1, out.String(), rss
	default:
	}
	if err != nil && cmd.ProcessState.ExitCode() < 0 {
		t.Fatalf("mcpverify: %v\n%s", err, errb.String())
	}
	b, err := os.ReadFile(hwm)
	if err != nil {
		t.Fatalf("the child wrote no peak RSS: %v", err)
	}
	kb, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || kb <= 0 {
		t.Fatalf("peak RSS %q: %v", b, err)
	}
	peak := kb << 10
	if errb.Len() > 0 {
		t.Logf("stderr:\n%s", errb.String())
	}
	return cmd.ProcessState.ExitCode(), out.String(), peak
}

// statusKB reads a "Name: N kB" field of /proc/<pid>/status (0 if unreadable).
func statusKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
