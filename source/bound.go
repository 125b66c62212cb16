package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"time"
)

// ErrRepoTooLarge is a git call that grew a temporary repository past WithMaxRepoSize:
// the remote sent more than was asked for (a blob filter ignored, an oversized pack).
var ErrRepoTooLarge = errors.New("temporary repository over its size limit")

// sizeSample is how often a running git call's repository is measured.
const sizeSample = 200 * time.Millisecond

// git runs git in the repository, keeping at most limit bytes of stdout (see
// runner.runCapped), and stops it when the repository grows past the client's size
// limit: any call may fetch from the remote (Fetch, and blobs read on demand).
func (r *Repo) git(ctx context.Context, limit int, args ...string) ([]byte, bool, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(sizeSample)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := r.checkSize(); err != nil {
					cancel(err)
					return
				}
			}
		}
	}()
	out, truncated, err := r.c.git.runCapped(ctx, limit, r.dir, args...)
	close(done)
	wg.Wait()
	if cause := context.Cause(ctx); errors.Is(cause, ErrRepoTooLarge) {
		return nil, false, cause
	}
	// Checked once more at the end: a fast remote fills the repository between samples.
	if serr := r.checkSize(); serr != nil {
		return nil, false, serr
	}
	return out, truncated, err
}

// run is git with the client's output cap; more output is an error.
func (r *Repo) run(ctx context.Context, args ...string) ([]byte, error) {
	out, truncated, err := r.git(ctx, r.c.git.maxOut, args...)
	if err == nil && truncated {
		err = &gitError{args: args, err: fmt.Errorf("output over %d bytes", r.c.git.maxOut)}
	}
	return out, err
}

// checkSize returns a *RemoteError matching ErrRepoTooLarge when the repository is over
// the client's limit.
func (r *Repo) checkSize() error {
	n := dirSize(r.dir)
	if n <= r.c.maxRepo {
		return nil
	}
	return &RemoteError{URL: r.remote, Op: "fetch", Err: fmt.Errorf("%w: %d bytes written, over the %d-byte limit (the remote sent more than was asked for)",
		ErrRepoTooLarge, n, r.c.maxRepo)}
}

// dirSize is the total size of the regular files under dir. Files that vanish while it
// walks (git renames its temporary files) are skipped.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			n += fi.Size()
		}
		return nil
	})
	return n
}
