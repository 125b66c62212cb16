package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/source"
)

// updatePinsOptions are the flags of `mcpbuild update-pins`.
type updatePinsOptions struct {
	dryRun     bool
	output     string
	mirrors    []string
	maxCommits int
	maxDiff    int
}

// Validate checks the flags; every error is a usage error.
func (o *updatePinsOptions) Validate() error {
	switch o.output {
	case "text", "json", "markdown":
	default:
		return cliutil.Usagef("--output %q: want text, json or markdown", o.output)
	}
	if o.maxCommits < 1 {
		return cliutil.Usagef("--max-commits %d: want at least 1", o.maxCommits)
	}
	if o.maxDiff < 1 {
		return cliutil.Usagef("--max-diff %d: want at least 1 byte", o.maxDiff)
	}
	if _, err := catalog.ParseMirrors(o.mirrors); err != nil {
		return cliutil.Usagef("--source-mirror: %v", err)
	}
	return nil
}

// Pin update statuses.
const (
	pinUpdated    = "updated"
	pinWould      = "would-update" // --dry-run
	pinCurrent    = "up-to-date"
	pinLeft       = "left-alone" // a tag named as the branch
	pinSkipped    = "skipped"    // not a "server" entry
	pinFailed     = "failed"     // a definite problem (exit 1)
	pinUnreadable = "unreachable"
)

// pinUpdate is one server's row of the report.
type pinUpdate struct {
	Name     string         `json:"name"`
	Path     string         `json:"path"`
	Status   string         `json:"status"`
	Remote   string         `json:"remote,omitempty"`
	Branch   string         `json:"branch,omitempty"`
	Old      string         `json:"old,omitempty"`
	New      string         `json:"new,omitempty"`
	Note     string         `json:"note,omitempty"`
	Problems []string       `json:"problems,omitempty"`
	Review   *source.Review `json:"review,omitempty"`
}

func newUpdatePinsCmd(ro *rootOptions) *cobra.Command {
	o := &updatePinsOptions{}
	cmd := &cobra.Command{
		Use:   "update-pins [--dry-run] [-o text|json|markdown] [--source-mirror FROM=TO] PATTERN...",
		Short: "Move pins to the tip of their branch, with a review report per server",
		Long: `For every "server" entry matched by PATTERN, resolve the tip of source.branch (the
remote's default branch when unset) with one ls-remote per repository. When it differs
from source.commit, fetch both (one blobless fetch per repository), rewrite source.commit
in place (only those 40 characters change: comments, order and formatting are kept) and
report, per server, what a reviewer needs before the bump is merged: old and new commit,
the commits in between (subject, author, date; at most --max-commits listed), the files
changed inside the build context, whether the Dockerfile or a dependency manifest changed
(package.json and lockfiles, go.mod/go.sum, pyproject.toml, uv.lock, requirements*.txt,
...), and the unified diff of the build context (at most --max-diff bytes). A branch that
is really a tag is left alone with a note. --dry-run writes nothing.

Output on stdout: one line per server (text), one JSON document (mediaType
application/vnd.mcpbuild.pin-updates.v1+json), or the review report in Markdown.

Exit codes: 0 nothing wrong (pins updated or up to date), 1 a definite problem (an
invalid entry, a branch or pinned commit missing on the remote, a file that cannot be
edited safely), 2 usage, 3 a git remote could not be read.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cliutil.Usagef("update-pins: no PATTERN given (e.g. servers/...)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			files, err := catalog.LoadFiles(args, catalog.Options{})
			if err != nil {
				return &cliutil.UsageError{Err: err}
			}
			c, err := newSourceClient(ro.logger(cmd), ro.getenv)
			if err != nil {
				return err
			}
			ctx, cancel := ro.timeouts.WithDeadline(cmd.Context())
			defer cancel()
			mirrors, _ := catalog.ParseMirrors(o.mirrors) // checked by Validate
			rows, err := updatePins(ctx, c, mirrors, o, files)
			if werr := writePinUpdates(cmd.OutOrStdout(), o.output, o.dryRun, rows); werr != nil {
				return werr
			}
			return ro.timeouts.Err(ctx, err)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.dryRun, "dry-run", false, "report what would change, write nothing")
	f.StringVarP(&o.output, "output", "o", "text", "report format on stdout: text, json or markdown")
	f.StringArrayVar(&o.mirrors, "source-mirror", nil, "FROM=TO: read project URLs starting with FROM from TO instead (repeatable, like git insteadOf)")
	f.IntVar(&o.maxCommits, "max-commits", source.DefaultLimits.Commits, "most commits listed per server (the count is always given)")
	f.IntVar(&o.maxDiff, "max-diff", source.DefaultLimits.DiffBytes, "most bytes of diff per server (the report says when it is cut)")
	return cmd
}

// updatePins resolves, reviews and (unless dry-run) rewrites every pin of files. The
// error is nil, the problems (exit 1) or the unreachable remotes (exit 3) joined.
func updatePins(ctx context.Context, c *source.Client, mirrors catalog.Mirrors, o *updatePinsOptions, files []*catalog.File) ([]pinUpdate, error) {
	rows := make([]pinUpdate, len(files))
	var pins []source.Pin
	var at []int
	for i, f := range files {
		r := &rows[i]
		r.Path = f.Path
		switch {
		case !f.Valid():
			r.Status, r.Problems = pinFailed, diagTexts(f.Errors)
			if f.Server != nil {
				r.Name = f.Server.Name
			}
			continue
		case !f.Server.Buildable():
			r.Name, r.Status, r.Note = f.Server.Name, pinSkipped, fmt.Sprintf("type %q is not built from source", f.Server.Type)
			continue
		}
		r.Name, r.Old = f.Server.Name, f.Server.Source.Commit
		p, err := sourcePin(c, f.Server, mirrors)
		if err != nil {
			r.Status, r.Problems = pinFailed, []string{diagAt(f, "source.project", err.Error()).Error()}
			continue
		}
		r.Remote = p.Remote
		pins = append(pins, p)
		at = append(at, i)
	}
	var problems, unreach []error
	for j, b := range c.Bump(ctx, pins, source.Limits{Commits: o.maxCommits, DiffBytes: o.maxDiff}) {
		f, r := files[at[j]], &rows[at[j]]
		r.Branch, r.Note, r.Review = b.Branch, b.Note, b.Review
		switch {
		case b.Err != nil:
			r.Status, r.Problems = pinUnreadable, []string{b.Err.Error()}
			if !containsAddr(unreach, b.Pin.Remote) {
				unreach = append(unreach, unreachable(b.Pin.Remote, b.Err))
			}
		case len(b.Findings) > 0:
			r.Status = pinFailed
			for _, fd := range b.Findings {
				r.Problems = append(r.Problems, diagAt(f, fd.Field, fd.Message).Error())
			}
		case b.Note != "":
			r.Status = pinLeft
		case !b.Moved():
			r.Status, r.New = pinCurrent, b.New
		case o.dryRun:
			r.Status, r.New = pinWould, b.New
		default:
			r.New = b.New
			if err := rewritePin(f.Path, b.Pin.Commit, b.New); err != nil {
				r.Status, r.Problems = pinFailed, []string{err.Error()}
				continue
			}
			r.Status = pinUpdated
		}
	}
	for _, r := range rows {
		if r.Status == pinFailed {
			problems = append(problems, fmt.Errorf("server %s (%s): %d %s", r.Name, r.Path, len(r.Problems), plural(len(r.Problems), "problem")))
		}
	}
	if len(unreach) > 0 {
		return rows, errors.Join(append(unreach, problems...)...)
	}
	return rows, errors.Join(problems...)
}

func containsAddr(errs []error, addr string) bool {
	for _, err := range errs {
		var ue *cliutil.UnreachableError
		if errors.As(err, &ue) && ue.Addr == addr {
			return true
		}
	}
	return false
}

func diagTexts(ds []*catalog.Diagnostic) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Error()
	}
	return out
}

// rewritePin changes source.commit of the file at path from old to commit, in place, and
// replaces the file atomically and durably (same directory, same mode; file and
// directory synced). It reads at most the catalog's size limit, and refuses a symbolic
// link (replacing it would leave its target at the old pin) or any other non-regular file.
func rewritePin(path, old, commit string) error {
	fi, data, err := readPinFile(path)
	if err != nil {
		return fmt.Errorf("updating pin in %s: %w", path, err)
	}
	out, err := catalog.SetCommit(path, data, old, commit)
	if err != nil {
		return err
	}
	if err := replaceFile(path, out, fi.Mode().Perm()); err != nil {
		return fmt.Errorf("updating pin in %s: %w", path, err)
	}
	return nil
}

// readPinFile reads the regular file at path, at most catalog.MaxFileSize bytes.
func readPinFile(path string) (os.FileInfo, []byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		return nil, nil, errors.New("it is a symbolic link: rewriting it would replace the link, not its target; pin the file it points to")
	case !fi.Mode().IsRegular():
		return nil, nil, fmt.Errorf("not a regular file (%v)", fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if open, err := f.Stat(); err != nil || !os.SameFile(fi, open) {
		return nil, nil, errors.New("the file changed while it was opened")
	}
	data, err := io.ReadAll(io.LimitReader(f, catalog.MaxFileSize+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > catalog.MaxFileSize {
		return nil, nil, fmt.Errorf("file is over the %d-byte (1 MiB) limit", catalog.MaxFileSize)
	}
	return fi, data, nil
}

// replaceFile writes data to a temporary file next to path, syncs it, renames it over
// path and syncs the directory.
func replaceFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".server.yaml.*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
