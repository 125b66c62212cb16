// Command verify benchmarks mcpverify against the real cosign verify (v2 and v3) on the
// local stack: N=1 and N images, once on loopback and once through a proxy that adds a
// delay to every registry request, printing times, ratios and registry request counts.
//
//	. .stack/env && go run ./hack/bench/verify [-n 50] [-delay 50ms]
//
// All tools read the same images (signed once with the cosign v2 CLI into
// <registry>/mcpbench/signatures, legacy layout, Rekor bundle checked offline) through the
// same proxy, which counts their requests. With -delay 0 the proxy only counts.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mcpbuild/mcpbuild/hack/bench/latencyproxy"
)

const (
	pin      = "0123456789abcdef0123456789abcdef01234567"
	keyFile  = "testdata/keys/test-only-a.key" // test-only key pair, committed on purpose
	pubFile  = "testdata/keys/test-only-a.pub"
	password = "test-only-password"
)

type env struct {
	registry, rekorURL, rekorPub, trustedRoot, cosign2, cosign3 string
}

func main() {
	n := flag.Int("n", 50, "number of images for the batch run")
	delay := flag.Duration("delay", 50*time.Millisecond, "latency added to every registry request in the slow scenario")
	jobs := flag.Int("j", 8, "mcpverify parallelism for the batch run")
	handshake := flag.Bool("handshake", false, "with -delay, also delay every new connection by it (a TCP handshake's round trip): parallel requests over new HTTP/1.1 connections then pay for them")
	embed := flag.Bool("embed", true, "after cosign signs, embed each payload in its .sig layer descriptor's \"data\" field, as mcpbuild publish does (false: cosign's own layout, one more blob read)")
	flag.Parse()
	if err := run(*n, *delay, *jobs, *embed, *handshake); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n int, delay time.Duration, jobs int, embed, handshake bool) error {
	e := env{os.Getenv("MCPBUILD_E2E_REGISTRY"), os.Getenv("MCPBUILD_E2E_REKOR_URL"), os.Getenv("MCPBUILD_E2E_REKOR_PUBKEY"),
		os.Getenv("MCPBUILD_E2E_TRUSTED_ROOT"), os.Getenv("MCPBUILD_E2E_COSIGN2"), os.Getenv("MCPBUILD_E2E_COSIGN3")}
	if e.registry == "" || e.rekorURL == "" || e.rekorPub == "" || e.cosign2 == "" {
		return fmt.Errorf("needs the local stack with cosign: . .stack/env (MCPBUILD_E2E_REGISTRY, _REKOR_URL, _REKOR_PUBKEY, _COSIGN2)")
	}
	tmp, err := os.MkdirTemp("", "mcpverify-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	mcpverify := filepath.Join(tmp, "mcpverify")
	if out, err := exec.Command("go", "build", "-o", mcpverify, "./cmd/mcpverify").CombinedOutput(); err != nil {
		return fmt.Errorf("building mcpverify: %v\n%s", err, out)
	}
	proxy, err := latencyproxy.Start("http://"+e.registry, 0)
	if err != nil {
		return err
	}
	defer proxy.Close()
	host := proxy.Host()
	sigRepo := host + "/mcpbench/signatures" // its own repository: the stack is shared

	fmt.Fprintf(os.Stderr, "preparing %d images signed with cosign v2 through %s...\n", n, host)
	images, err := prepare(e, host, sigRepo, n, embed)
	if err != nil {
		return err
	}
	mcpverifyWith := func(cache ...string) func(refs []string) *exec.Cmd {
		return func(refs []string) *exec.Cmd {
			args := append([]string{"--key", pubFile, "--rekor-key", e.rekorPub, "--signatures-repo", sigRepo,
				"--commit", pin, "--skip-provenance", "-j", fmt.Sprint(jobs)}, cache...)
			return exec.Command(mcpverify, append(args, refs...)...)
		}
	}
	tools := []tool{
		{name: "mcpverify", cmd: mcpverifyWith("--no-cache"), batch: true},
		// The same, run once before it is timed: a warm cache (HEADs only).
		{name: "mcpv warm", cmd: mcpverifyWith("--cache-dir", filepath.Join(tmp, "cache")), batch: true, warm: true},
		{name: "cosign v2", cmd: cosignVerify(e.cosign2, e, sigRepo, false)},
	}
	if e.cosign3 != "" {
		tools = append(tools, tool{name: "cosign v3", cmd: cosignVerify(e.cosign3, e, sigRepo, true)})
	}
	layout := "cosign layout (payload blobs)"
	if embed {
		layout = "publish layout (payloads embedded in the .sig descriptors)"
	}
	fmt.Printf("mcpverify vs cosign verify: same %d images by tag, same key, signatures repo %s, %s;\n", n, sigRepo, layout)
	fmt.Printf("Rekor bundles checked offline by all; requests = every HTTP request the proxy saw (ping included);\n")
	if handshake {
		fmt.Printf("the latency delays every request and every new connection (its handshake)\n")
	} else {
		fmt.Printf("the latency delays every request (not connection setup: see -handshake)\n")
	}
	fmt.Printf("%-10s %-4s %-10s %10s %9s %6s  %s\n", "latency", "N", "tool", "time", "requests", "conns", "time ratio")
	for _, d := range []time.Duration{0, delay} {
		proxy.SetDelay(d)
		if handshake {
			proxy.SetHandshakeDelay(d)
		}
		for _, count := range []int{1, n} {
			results := map[string]time.Duration{}
			for _, t := range tools {
				if t.warm {
					if _, err := t.measure(images[:count]); err != nil {
						return fmt.Errorf("%s N=%d latency %v (warming): %w", t.name, count, d, err)
					}
				}
				proxy.Reset()
				el, err := t.measure(images[:count])
				if err != nil {
					return fmt.Errorf("%s N=%d latency %v: %w", t.name, count, d, err)
				}
				results[t.name] = el
				fmt.Printf("%-10s %-4d %-10s %10s %9d %6d", d, count, t.name, el.Round(time.Millisecond), proxy.Requests(), proxy.Connections())
				if t.batch {
					fmt.Printf("\n")
				} else {
					fmt.Printf("  mcpverify/%s = %.3f\n", t.name, float64(results["mcpverify"])/float64(el))
				}
			}
		}
	}
	fmt.Printf("targets with latency: N=1 ratio <= 0.5; N=%d ratio <= 0.1 (mcpverify: one call with %d names; cosign: a loop of %d calls)\n", n, n, n)
	return nil
}

type tool struct {
	name  string
	cmd   func(refs []string) *exec.Cmd
	batch bool // one process for all refs (mcpverify)
	warm  bool // run once, untimed, before it is measured
}

func (t tool) measure(refs []string) (time.Duration, error) {
	start := time.Now()
	if t.batch {
		err := execQuiet(t.cmd(refs))
		return time.Since(start), err
	}
	for _, r := range refs {
		if err := execQuiet(t.cmd([]string{r})); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func execQuiet(c *exec.Cmd) error {
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Run(); err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(c.Args, " "), err, out.String())
	}
	return nil
}

func cosignVerify(bin string, e env, sigRepo string, v3 bool) func([]string) *exec.Cmd {
	return func(refs []string) *exec.Cmd {
		args := []string{"verify", "--key", pubFile}
		if v3 && e.trustedRoot != "" {
			args = append(args, "--trusted-root", e.trustedRoot)
		}
		c := exec.Command(bin, append(args, refs...)...)
		c.Env = append(os.Environ(), "COSIGN_REPOSITORY="+sigRepo, "SIGSTORE_REKOR_PUBLIC_KEY="+e.rekorPub)
		return c
	}
}

// prepare pushes n labelled images through the proxy host and signs them with cosign v2.
func prepare(e env, host, sigRepo string, n int, embed bool) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	run := fmt.Sprintf("%d", time.Now().Unix())
	var refs []string
	for i := range n {
		repo, err := name.NewRepository(fmt.Sprintf("%s/mcpbench/r%s-%02d", host, run, i))
		if err != nil {
			return nil, err
		}
		img, err := random.Image(256, 1)
		if err != nil {
			return nil, err
		}
		cf, _ := img.ConfigFile()
		cf = cf.DeepCopy()
		cf.Config.Labels = map[string]string{"org.opencontainers.image.revision": pin}
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			return nil, err
		}
		tag := repo.Tag("v1")
		if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
			return nil, err
		}
		h, _ := img.Digest()
		c := exec.CommandContext(ctx, e.cosign2, "sign", "--key", keyFile, "--rekor-url", e.rekorURL, "--yes",
			"-a", "org.opencontainers.image.revision="+pin, repo.Digest(h.String()).String())
		c.Env = append(os.Environ(), "COSIGN_PASSWORD="+password, "COSIGN_REPOSITORY="+sigRepo)
		if err := execQuiet(c); err != nil {
			return nil, err
		}
		if embed {
			if err := embedPayloads(ctx, sigRepo, h.Algorithm+"-"+h.Hex+".sig"); err != nil {
				return nil, err
			}
		}
		refs = append(refs, tag.String())
	}
	return refs, nil
}

// embedPayloads rewrites a cosign .sig manifest so that each layer descriptor carries its
// payload in the OCI "data" field, as mcpbuild publish writes it.
func embedPayloads(ctx context.Context, sigRepo, tag string) error {
	ref, err := name.NewTag(sigRepo + ":" + tag)
	if err != nil {
		return err
	}
	d, err := remote.Get(ref, remote.WithContext(ctx))
	if err != nil {
		return err
	}
	var m v1.Manifest
	if err := json.Unmarshal(d.Manifest, &m); err != nil {
		return err
	}
	for i, l := range m.Layers {
		bl, err := remote.Layer(ref.Context().Digest(l.Digest.String()), remote.WithContext(ctx))
		if err != nil {
			return err
		}
		rc, err := bl.Compressed()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		m.Layers[i].Data = b
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return remote.Put(ref, rawManifest{raw, d.MediaType}, remote.WithContext(ctx))
}

type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }
