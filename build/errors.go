package build

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
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

// What BuildKit types and what it leaves as text (v0.34.2, solver/errdefs and
// util/grpcerrors: the client gets the status text wrapped by each typed detail buildkitd
// attached):
//   - a process that exited: *gatewaypb.ExitError (a RUN failed);
//   - a failed op of a solve made through the gateway, such as the Dockerfile frontend
//     reading the server's git context: *errdefs.SolveError with the op (a git source op
//     names its remote in pb.AttrFullRemoteURL);
//   - a step of the build graph: *errdefs.VertexError, and with the Dockerfile frontend
//     an *errdefs.SourceError locating the instruction in the Dockerfile (a COPY whose
//     cache key could not be computed, a RUN, an ADD). Such a step's text quotes what the
//     Dockerfile chose (paths, commands), so it is never matched against markers;
//   - BuildKit unreachable: codes.Unavailable.
//
// Nothing typed says why a git source failed (git's stderr), that a push failed (the
// exporter's error carries no detail) or which base image the frontend could not resolve:
// for those the text is matched, here only. Markers are lower case, and the git ones
// count only where the error is about the server's repository (its source op, or text
// naming its remote: a git source the Dockerfile adds is not the server's repository).
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
	if grpcerrors.Code(err) == codes.Unavailable {
		return &UnreachableError{Service: ServiceBuildKit, Addr: buildkitAddr, Err: err}
	}
	plain := fmt.Errorf("building server %s: %w", server, err)
	if _, ok := errors.AsType[*gatewaypb.ExitError](err); ok || dockerfileStep(err) { // the server's build failed
		return plain
	}
	msg := processCommand.ReplaceAllLiteralString(strings.ToLower(err.Error()), "process did not complete successfully")
	if processExit.MatchString(msg) { // the same, should the type not have crossed gRPC
		return plain
	}
	remote := gitContext(contextURL).Remote
	ours := strings.Contains(msg, strings.ToLower(remote))
	if src, ok := failedGitSource(err); ok {
		if src != remote { // a git source of the Dockerfile's
			return plain
		}
		ours = true
	}
	baseRegistry, base := unresolvedImageRegistry(msg) // a base image's registry, not ours
	switch {
	case ours && strings.Contains(msg, missingDirMarker):
		return &CommitNotFoundError{Server: server, Project: project, Commit: commit, Directory: gitContext(contextURL).Dir, URL: contextURL, Err: err}
	case ours && containsAny(msg, missingCommitMarkers):
		return &CommitNotFoundError{Server: server, Project: project, Commit: commit, URL: contextURL, Err: err}
	case containsAny(msg, networkMarkers) && base:
		return &UnreachableError{Service: ServiceRegistry, Addr: baseRegistry, Err: err}
	case ours && containsAny(msg, networkMarkers) && containsAny(msg, gitMarkers):
		return &UnreachableError{Service: ServiceGitRemote, Addr: remote, Err: err}
	case containsAny(msg, networkMarkers) && (containsAny(msg, pushMarkers) || strings.Contains(msg, registry)),
		registry5xx.MatchString(msg):
		return &UnreachableError{Service: ServiceRegistry, Addr: registry, Err: err}
	}
	if strings.Contains(msg, noSSHAgentMarker) {
		return fmt.Errorf("building server %s: %s is an ssh remote, and mcpbuild forwards no SSH agent to BuildKit (the Dockerfile could use it too); "+
			"serve the repository over https:// or git:// and map it with --source-mirror: %w", server, remote, err)
	}
	if errors.Is(err, errNoDigest) {
		return err
	}
	return plain
}

// dockerfileStep reports whether BuildKit located err at an instruction of the Dockerfile
// while solving the build graph: a failed vertex with a Dockerfile range (a COPY whose
// cache key could not be computed, an ADD, a RUN). The frontend's own errors (a FROM
// whose image could not be resolved) carry a range but no vertex.
func dockerfileStep(err error) bool {
	_, vertex := errors.AsType[*errdefs.VertexError](err)
	for _, s := range errdefs.Sources(err) {
		if vertex && len(s.Ranges) > 0 {
			return true
		}
	}
	return false
}

// failedGitSource is the remote of the git source op BuildKit says failed
// (errdefs.Solve), and whether it says one did.
func failedGitSource(err error) (string, bool) {
	se, ok := errors.AsType[*errdefs.SolveError](err)
	if !ok {
		return "", false
	}
	src := se.Solve.GetOp().GetSource()
	remote := src.GetAttrs()[pb.AttrFullRemoteURL] // set by llb.Git; without it, fall back to the text
	if !strings.HasPrefix(src.GetIdentifier(), "git://") || remote == "" {
		return "", false
	}
	return remote, true
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
