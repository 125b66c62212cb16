package build

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/util/grpcerrors"
	"google.golang.org/grpc/codes"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/fault"
)

// Services named by UnreachableError.
const (
	ServiceBuildKit  = "buildkit"
	ServiceRegistry  = "registry"
	ServiceGitRemote = "git remote"
)

// UnreachableError says that a piece of infrastructure could not be reached, so nothing
// about the build itself was decided.
type UnreachableError struct {
	Service string // ServiceBuildKit, ServiceRegistry or ServiceGitRemote
	Addr    string // what was dialled: BuildKit address, registry host, git URL
	Err     error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%s %s unreachable: %v", e.Service, e.Addr, e.Err)
}
func (e *UnreachableError) Unwrap() error { return e.Err }

// Fault is fault.Unreachable: nothing about the build was decided.
func (e *UnreachableError) Fault() fault.Kind { return fault.Unreachable }

// CommitNotFoundError says that the git remote does not have the pinned commit, or that
// the pinned directory does not exist at that commit (Directory set).
type CommitNotFoundError struct {
	Server, Project, Commit string
	Directory               string // set when the commit exists but the directory does not
	URL                     string // the URL fetched (after mirroring)
	Err                     error
}

func (e *CommitNotFoundError) Error() string {
	via := ""
	if e.URL != "" && !strings.HasPrefix(e.URL, e.Project) {
		via = " (fetched from " + gitContext(e.URL).Remote + ")"
	}
	if e.Directory != "" {
		return fmt.Sprintf("server %s: directory %q not found at commit %s of %s%s: %v", e.Server, e.Directory, e.Commit, e.Project, via, e.Err)
	}
	return fmt.Sprintf("server %s: commit %s not found in %s%s: %v", e.Server, e.Commit, e.Project, via, e.Err)
}
func (e *CommitNotFoundError) Unwrap() error { return e.Err }

// Fault is fault.Failed: the remote answered, and the pin is wrong.
func (e *CommitNotFoundError) Fault() fault.Kind { return fault.Failed }

// BuildKit reports git and push failures only as text (the stderr of git, the error
// of the pusher), so the classification below has to look at it; it is kept in this
// one place. Markers are lower case. A failed RUN's error quotes its command, text the
// server's Dockerfile chooses: classify decides such an error by its type (a process's
// exit is a definite build failure) and never matches markers against the quoted
// command (processCommand).
var (
	// processCommand is the quoted command of BuildKit's error for a process that failed
	// (llbsolver/ops: process %q did not complete successfully), lower case.
	processCommand = regexp.MustCompile(`process "(?:[^"\\]|\\.)*" did not complete successfully`)
	// processExit is what is left of that error when the process ran and exited non-zero.
	processExit = regexp.MustCompile(`process did not complete successfully: exit code: [0-9]+`)

	missingCommitMarkers = []string{
		"reference is not a tree", "not our ref", "unadvertised object",
		"couldn't find remote ref", "bad object",
	}
	missingDirMarker = "invalid subdir"
	// noSSHAgentMarker: BuildKit fetches ssh remotes with the client's forwarded agent.
	noSSHAgentMarker = `no ssh key "default" forwarded`
	networkMarkers   = []string{
		"connection refused", "could not resolve host", "no such host", "i/o timeout",
		"no route to host", "network is unreachable", "connection timed out",
		"unable to connect", "connection reset", "unable to access", "could not read from remote",
		"tls handshake timeout", "server misbehaving",
	}
	// registry5xx matches the pusher's report of a registry server error.
	registry5xx = regexp.MustCompile(`unexpected status from [a-z]+ request to [^ ]+: 5[0-9][0-9]`)
	gitMarkers  = []string{"failed to fetch remote", "git fetch", "git source", "ls-remote", "unable to connect to"}
	pushMarkers = []string{"failed to push", "pushing", "push ", "failed to do request", "failed to authorize", "unexpected status from"}
)

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// classify turns a solve error into UnreachableError or CommitNotFoundError when it is
// one of those, else wraps it with the server name.
func classify(err error, server, project, commit, contextURL, registry, buildkitAddr string) error {
	if err == nil {
		return nil
	}
	switch grpcerrors.Code(err) {
	case codes.Unavailable:
		return &UnreachableError{Service: ServiceBuildKit, Addr: buildkitAddr, Err: err}
	}
	if _, ok := errors.AsType[*gatewaypb.ExitError](err); ok { // a RUN ran and failed
		return fmt.Errorf("building server %s: %w", server, err)
	}
	msg := processCommand.ReplaceAllLiteralString(strings.ToLower(err.Error()), "process did not complete successfully")
	if processExit.MatchString(msg) { // the same, should the type not have crossed gRPC
		return fmt.Errorf("building server %s: %w", server, err)
	}
	baseRegistry, base := unresolvedImageRegistry(msg) // a base image's registry, not ours
	switch {
	case strings.Contains(msg, missingDirMarker):
		return &CommitNotFoundError{Server: server, Project: project, Commit: commit, Directory: gitContext(contextURL).Dir, URL: contextURL, Err: err}
	case containsAny(msg, missingCommitMarkers):
		return &CommitNotFoundError{Server: server, Project: project, Commit: commit, URL: contextURL, Err: err}
	case containsAny(msg, networkMarkers) && base:
		return &UnreachableError{Service: ServiceRegistry, Addr: baseRegistry, Err: err}
	case containsAny(msg, networkMarkers) && containsAny(msg, gitMarkers):
		return &UnreachableError{Service: ServiceGitRemote, Addr: gitContext(contextURL).Remote, Err: err}
	case containsAny(msg, networkMarkers) && (containsAny(msg, pushMarkers) || strings.Contains(msg, registry)),
		registry5xx.MatchString(msg):
		return &UnreachableError{Service: ServiceRegistry, Addr: registry, Err: err}
	}
	if strings.Contains(msg, noSSHAgentMarker) {
		return fmt.Errorf("building server %s: %s is an ssh remote, and mcpbuild forwards no SSH agent to BuildKit (the Dockerfile could use it too); "+
			"serve the repository over https:// or git:// and map it with --source-mirror: %w", server, gitContext(contextURL).Remote, err)
	}
	if errors.Is(err, errNoDigest) {
		return err
	}
	return fmt.Errorf("building server %s: %w", server, err)
}

// gitContext is a context URL as BuildKit reads it (catalog.ParseGitContext). Build
// contexts are made by catalog.Server.ContextURL and always parse.
func gitContext(contextURL string) catalog.GitContext {
	g, _ := catalog.ParseGitContext(contextURL)
	return g
}

var errNoDigest = errors.New("buildkit returned no image digest")

// BuilderError is a build's failure on a named daemon of a Fleet; its message is Err's.
type BuilderError struct {
	Builder string
	Err     error
}

func (e *BuilderError) Error() string { return e.Err.Error() }
func (e *BuilderError) Unwrap() error { return e.Err }

// BuilderOf names the daemon a failed build ran on (a *BuilderError in err's chain), or "".
func BuilderOf(err error) string {
	if be, ok := errors.AsType[*BuilderError](err); ok {
		return be.Builder
	}
	return ""
}
