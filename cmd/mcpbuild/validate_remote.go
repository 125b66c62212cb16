package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/source"
)

// pinRemote is the one place that turns a catalog entry into the git remote read by
// validate --remote and update-pins: the git context the build fetches (build.ContextURL:
// the project URL after --source-mirror, checked by the build's rules and by BuildKit's
// parser), without its commit and directory (catalog.ParseGitContext).
func pinRemote(s *catalog.Server, mirrors catalog.Mirrors) (string, error) {
	ctxURL, err := build.ContextURL(s, mirrors)
	if err != nil {
		return "", err
	}
	g, err := catalog.ParseGitContext(ctxURL)
	if err != nil {
		return "", err
	}
	return g.Remote, nil
}

// proxyVars are passed on to git: the source package gives it an environment of its own.
var proxyVars = []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"}

// newSourceClient returns the git client of validate --remote and update-pins.
func newSourceClient(log *slog.Logger, getenv func(string) string) (*source.Client, error) {
	bin, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("reading git remotes needs the git command: %w", err)
	}
	var env []string
	for _, v := range proxyVars {
		if s := getenv(v); s != "" {
			env = append(env, v+"="+s)
		}
	}
	return source.New(source.WithGit(bin), source.WithLogger(log), source.WithTempDir(os.TempDir()), source.WithEnv(env...))
}

// sourcePin is the pin of s as the source package reads it, or why it cannot be read.
func sourcePin(c *source.Client, s *catalog.Server, mirrors catalog.Mirrors) (source.Pin, error) {
	remote, err := pinRemote(s, mirrors)
	if err == nil {
		err = c.CheckRemote(remote)
	}
	src := s.Source
	return source.Pin{Server: s.Name, Remote: remote, Branch: src.Branch, Commit: src.Commit,
		Directory: src.Directory, Dockerfile: src.Dockerfile, Target: src.BuildTarget}, err
}

// remoteLoc is where in the pinned repository a remote diagnostic comes from.
type remoteLoc struct {
	Remote string `json:"remote"`
	Commit string `json:"commit"`
	File   string `json:"file,omitempty"` // from the repository root
	Line   int    `json:"line,omitempty"`
}

// remoteCheck is what validate --remote adds to a run: diagnostics appended to the files,
// their locations in the repositories, and the remotes that could not be read.
type remoteCheck struct {
	locs        map[*catalog.Diagnostic]remoteLoc
	unreachable []error
}

// checkRemotes checks the pins of the valid "server" entries of files on their remotes
// and appends what it finds to each file's errors (warnings, unless strict).
func checkRemotes(ctx context.Context, stderr io.Writer, c *source.Client, mirrors catalog.Mirrors, strict bool, files []*catalog.File) *remoteCheck {
	rc := &remoteCheck{locs: map[*catalog.Diagnostic]remoteLoc{}}
	var pins []source.Pin
	var owners []*catalog.File
	for _, f := range files {
		if !f.Valid() || !f.Server.Buildable() {
			continue
		}
		p, err := sourcePin(c, f.Server, mirrors)
		if err != nil {
			f.Errors = append(f.Errors, diagAt(f, "source.project", err.Error()))
			continue
		}
		pins = append(pins, p)
		owners = append(owners, f)
	}
	for i, r := range c.Check(ctx, pins) {
		f := owners[i]
		if r.Err != nil {
			fmt.Fprintf(stderr, "mcpbuild: server %s: not checked on its remote: %v\n", f.Server.Name, r.Err)
			if !slices.Contains(rc.remotes(), r.Pin.Remote) {
				rc.unreachable = append(rc.unreachable, unreachable(r.Pin.Remote, r.Err))
			}
			continue
		}
		for _, fd := range r.Findings {
			d := diagAt(f, fd.Field, fd.Where()+fd.Message)
			rc.locs[d] = remoteLoc{Remote: r.Pin.Remote, Commit: r.Pin.Commit, File: fd.File, Line: fd.Line}
			if fd.Severity == source.Error || strict {
				f.Errors = append(f.Errors, d)
			} else {
				f.Warnings = append(f.Warnings, d)
			}
		}
	}
	return rc
}

// unreachable marks a remote that could not be read (exit 3), once per remote.
func unreachable(remote string, err error) error {
	var re *source.RemoteError
	if errors.As(err, &re) {
		return &cliutil.UnreachableError{Addr: re.URL, Err: re.Err}
	}
	return &cliutil.UnreachableError{Addr: remote, Err: err}
}

// diagAt is a diagnostic of f located at field's value (or its parents' when the file
// does not set it).
func diagAt(f *catalog.File, field, msg string) *catalog.Diagnostic {
	d := &catalog.Diagnostic{Path: f.Path, Field: field, Message: msg}
	for p := field; p != ""; {
		if l, c := f.Server.Position(p); l > 0 {
			d.Line, d.Col = l, c
			break
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return d
}

// loc is where d comes from in its repository, when --remote found it.
func (rc *remoteCheck) loc(d *catalog.Diagnostic) (remoteLoc, bool) {
	if rc == nil {
		return remoteLoc{}, false
	}
	l, ok := rc.locs[d]
	return l, ok
}

// remotes lists the remotes that could not be read, once each.
func (rc *remoteCheck) remotes() []string {
	if rc == nil {
		return nil
	}
	var out []string
	for _, err := range rc.unreachable {
		var ue *cliutil.UnreachableError
		if errors.As(err, &ue) && !slices.Contains(out, ue.Addr) {
			out = append(out, ue.Addr)
		}
	}
	return out
}
