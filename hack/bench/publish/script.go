package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// script is the reference: what a user would write instead of mcpbuild publish, per
// server `buildctl build` (same git context, labels, push) then `cosign sign` (same key,
// same claims, same Rekor), into its own repositories (prefix) and signatures repository.
type script struct {
	buildctl, cosign, rekorURL, host, prefix, tmp string
}

// run times the script on servers with jobs workers (1: the sequential script a user
// writes; more: one loop per worker, as xargs -P would run it).
func (s script) run(ctx context.Context, servers []server, jobs int) (time.Duration, error) {
	start := time.Now()
	work := make(chan server)
	errs := make(chan error, len(servers))
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			for sv := range work {
				if err := s.one(ctx, sv, jobs); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, sv := range servers {
		work <- sv
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func (s script) one(ctx context.Context, sv server, jobs int) error {
	ref := fmt.Sprintf("%s/%s-j%d/%s:latest", s.host, s.prefix, jobs, sv.name)
	meta := filepath.Join(s.tmp, fmt.Sprintf("%s-j%d.json", sv.name, jobs))
	err := execQuiet(exec.CommandContext(ctx, s.buildctl, "build",
		"--frontend", "dockerfile.v0",
		"--opt", fmt.Sprintf("context=%s#%s:%s", sv.project, sv.commit, sv.dir),
		"--opt", "label:org.opencontainers.image.revision="+sv.commit,
		"--opt", "label:org.opencontainers.image.source="+sv.project,
		"--no-cache",
		"--output", "type=image,name="+ref+",push=true,registry.insecure=true",
		"--metadata-file", meta), nil)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(meta)
	if err != nil {
		return err
	}
	var md struct {
		Digest string `json:"containerimage.digest"`
	}
	if err := json.Unmarshal(raw, &md); err != nil || md.Digest == "" {
		return fmt.Errorf("no containerimage.digest in buildctl's metadata for %s: %v %s", sv.name, err, raw)
	}
	dig := ref[:strings.LastIndexByte(ref, ':')] + "@" + md.Digest
	return execQuiet(exec.CommandContext(ctx, s.cosign, "sign", "--key", keyFile,
		"--tlog-upload=true", "--rekor-url", s.rekorURL, "--yes",
		"-a", "org.opencontainers.image.revision="+sv.commit,
		"-a", "org.opencontainers.image.source="+sv.project, dig),
		[]string{"COSIGN_PASSWORD=" + password, fmt.Sprintf("COSIGN_REPOSITORY=%s/%s-j%d/signatures", s.host, s.prefix, jobs)})
}

// execQuiet runs c with env added, returning its output in the error when it fails.
func execQuiet(c *exec.Cmd, env []string) error {
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	c.Env = append(os.Environ(), env...)
	if err := c.Run(); err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(c.Args, " "), err, out.String())
	}
	return nil
}

// sample returns k servers spread evenly over all (all of them when k <= 0 or >= len).
func sample(all []server, k int) []server {
	if k <= 0 || k >= len(all) {
		return all
	}
	out := make([]server, 0, k)
	for i := range k {
		out = append(out, all[i*len(all)/k])
	}
	return out
}
