package source

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Defaults of New.
const (
	defaultCallTimeout = 5 * time.Minute // one git call (a fetch of a large repository)
	defaultMaxOutput   = 64 << 20        // stdout of one git call, diffs excepted
	defaultMaxRepoSize = 512 << 20       // a temporary repository on disk
)

// Client runs the git operations of this package. It holds no connection and no state
// between calls; temporary repositories belong to the Repo that Fetch returns.
type Client struct {
	git     runner
	log     *slog.Logger
	tempDir string
	files   bool
	maxRepo int64
}

type options struct {
	bin     string
	timeout time.Duration
	maxOut  int
	env     []string
	log     *slog.Logger
	tempDir string
	files   bool
	maxRepo int64
}

// Option configures New.
type Option func(*options) error

// WithLogger logs every git call at debug level (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return fmt.Errorf("WithLogger: nil logger")
		}
		o.log = l
		return nil
	}
}

// WithCallTimeout bounds each git call (default 5 minutes).
func WithCallTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("WithCallTimeout %v: want a positive duration", d)
		}
		o.timeout = d
		return nil
	}
}

// WithMaxOutput bounds the output of each git call (default 64 MiB); more is an
// error.
func WithMaxOutput(n int) Option {
	return func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxOutput %d: want a positive size", n)
		}
		o.maxOut = n
		return nil
	}
}

// WithMaxRepoSize bounds the size on disk of each temporary repository (default
// 512 MiB). A remote can ignore the blob filter, or answer an on-demand blob
// fetch with any pack: a git call that grows the repository past n is stopped (the size
// is sampled every 200ms, so git may write a little more before it is) and fails with a
// *RemoteError matching ErrRepoTooLarge.
func WithMaxRepoSize(n int64) Option {
	return func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxRepoSize %d: want a positive size", n)
		}
		o.maxRepo = n
		return nil
	}
}

// WithGit names the git binary (default "git", looked up in PATH).
func WithGit(bin string) Option {
	return func(o *options) error {
		if bin == "" {
			return fmt.Errorf("WithGit: empty path")
		}
		o.bin = bin
		return nil
	}
}

// WithEnv adds NAME=VALUE variables to git's environment, such as HTTPS_PROXY. Variables
// that configure git itself (GIT_*) are refused: this package sets them.
func WithEnv(kv ...string) Option {
	return func(o *options) error {
		for _, s := range kv {
			name, _, ok := strings.Cut(s, "=")
			if !ok || name == "" {
				return fmt.Errorf("WithEnv %q: want NAME=VALUE", s)
			}
			if strings.HasPrefix(strings.ToUpper(name), "GIT_") || name == "HOME" {
				return fmt.Errorf("WithEnv %q: %s is set by this package", s, name)
			}
		}
		o.env = append(o.env, kv...)
		return nil
	}
}

// WithTempDir is where temporary repositories are made (required: the package does not
// read $TMPDIR).
func WithTempDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return fmt.Errorf("WithTempDir: empty path")
		}
		o.tempDir = dir
		return nil
	}
}

// WithFileRemotes allows file:// remotes, for tests.
func WithFileRemotes() Option {
	return func(o *options) error {
		o.files = true
		return nil
	}
}

// New returns a Client.
func New(opts ...Option) (*Client, error) {
	o := options{bin: "git", timeout: defaultCallTimeout, maxOut: defaultMaxOutput, maxRepo: defaultMaxRepoSize, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.tempDir == "" {
		return nil, fmt.Errorf("source.New: no directory for temporary repositories: use WithTempDir")
	}
	protocols := "git:https"
	if o.files {
		protocols += ":file"
	}
	env := append(baseEnv(protocols), o.env...)
	return &Client{
		git:     runner{bin: o.bin, timeout: o.timeout, maxOut: o.maxOut, env: env},
		log:     o.log,
		tempDir: o.tempDir,
		files:   o.files,
		maxRepo: o.maxRepo,
	}, nil
}
