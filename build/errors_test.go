package build

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/grpcerrors"
	digest "github.com/opencontainers/go-digest"
	"google.golang.org/grpc/codes"
)

// The messages below are what buildkitd v0.34.2 returned on this machine.
func TestClassify(t *testing.T) {
	const (
		ctxURL  = "git://127.0.0.1:19418/mcp-pinned.git#1042fbfc49f0784062a615b2a0bf626686da429b:srv"
		project = "https://example.com/mcp-pinned"
		commit  = "1042fbfc49f0784062a615b2a0bf626686da429b"
		reg     = "127.0.0.1:15000"
		bk      = "unix:///run/buildkitd.sock"
	)
	tests := []struct {
		name string
		err  error
		want func(t *testing.T, err error)
	}{
		{"missing commit", errors.New("failed to solve: failed to read dockerfile: failed to checkout remote git://127.0.0.1:19418/mcp-pinned.git: git stderr:\nfatal: reference is not a tree: 0123\n: exit status 128"),
			wantNotFound("")},
		// BuildKit sends the failed op of the context's git source typed (errdefs.Solve);
		// "invalid subdir" does not name the remote.
		{"missing dir", fromBuildKit(errors.New(`failed to solve: failed to read dockerfile: invalid subdir srv: failed to lstat "srv": no such file or directory`),
			gitSourceOp("git://127.0.0.1:19418/mcp-pinned.git", "1042fbfc49f0784062a615b2a0bf626686da429b:srv"), frontend),
			wantNotFound("srv")},
		{"missing commit typed", fromBuildKit(errors.New("failed to solve: failed to read dockerfile: failed to checkout remote git://127.0.0.1:19418/mcp-pinned.git: git stderr:\nfatal: reference is not a tree: 0123\n: exit status 128"),
			gitSourceOp("git://127.0.0.1:19418/mcp-pinned.git", "0123"), frontend),
			wantNotFound("")},
		{"git down", errors.New("failed to solve: failed to fetch remote git://127.0.0.1:19418/mcp-pinned.git: git stderr:\nfatal: unable to connect to 127.0.0.1:\n127.0.0.1[0: 127.0.0.1]: errno=Connection refused\n\n: exit status 128"),
			wantUnreachable(ServiceGitRemote, "git://127.0.0.1:19418/mcp-pinned.git")},
		// A step of the Dockerfile (BuildKit locates it: a vertex and a Dockerfile range)
		// quotes paths the Dockerfile chose: a COPY of a missing file is the build failing.
		{"copy path quotes git failure", fromBuildKit(errors.New(`failed to solve: failed to compute cache key: failed to calculate checksum of ref x::y: "/failed to fetch remote git fetch: connection refused": not found`),
			vertex, dockerfileLine(2)), wantPlain},
		{"copy path quotes push failure", fromBuildKit(errors.New(`failed to solve: failed to compute cache key: failed to calculate checksum of ref x::y: "/failed to push 127.0.0.1:15000: connection reset": not found`),
			vertex, dockerfileLine(2)), wantPlain},
		{"copy path quotes registry 503", fromBuildKit(errors.New(`failed to solve: failed to compute cache key: failed to calculate checksum of ref x::y: "/unexpected status from PUT request to x: 503": not found`),
			vertex, dockerfileLine(2)), wantPlain},
		{"copy path quotes missing commit", fromBuildKit(errors.New(`failed to solve: failed to compute cache key: failed to calculate checksum of ref x::y: "/reference is not a tree/invalid subdir srv": not found`),
			vertex, dockerfileLine(2)), wantPlain},
		{"step quotes ssh agent", fromBuildKit(errors.New(`failed to solve: failed to compute cache key: "/x": no SSH key "default" forwarded from the client`),
			vertex, dockerfileLine(2)), func(t *testing.T, err error) {
			wantPlain(t, err)
			if strings.Contains(err.Error(), "--source-mirror") {
				t.Errorf("message %q reads a COPY path as an ssh remote", err)
			}
		}},
		// A git source the Dockerfile adds (ADD git://...) is not the server's repository.
		{"dockerfile git source down", fromBuildKit(errors.New("failed to solve: failed to load cache key: error fetching default branch for repository git://127.0.0.1:1/other.git: git stderr:\nfatal: unable to connect to 127.0.0.1:\n127.0.0.1[0: 127.0.0.1]: errno=Connection refused\n: exit status 128"),
			vertex), wantPlain},
		{"dockerfile git source missing commit", fromBuildKit(errors.New("failed to solve: failed to checkout remote git://127.0.0.1:1/other.git: git stderr:\nfatal: reference is not a tree: 0123\n: exit status 128"),
			gitSourceOp("git://127.0.0.1:1/other.git", "0123"), vertex), wantPlain},
		{"registry down", errors.New(`failed to solve: failed to push 127.0.0.1:15000/mcp/x:latest: failed to do request: Head "https://127.0.0.1:15000/v2/mcp/x/blobs/sha256:b9": dial tcp 127.0.0.1:15000: connect: connection refused`),
			wantUnreachable(ServiceRegistry, reg)},
		{"registry 503", errors.New(`failed to solve: failed to push 127.0.0.1:15000/mcp/x:latest: unexpected status from PUT request to http://127.0.0.1:15000/v2/mcp/x/manifests/latest: 503 Service Unavailable`),
			wantUnreachable(ServiceRegistry, reg)},
		{"registry 401 is not unreachable", errors.New(`failed to solve: failed to push 127.0.0.1:15000/mcp/x:latest: unexpected status from PUT request to http://127.0.0.1:15000/v2/mcp/x/manifests/latest: 401 Unauthorized`),
			wantPlain},
		{"buildkit gone", grpcerrors.WrapCode(errors.New("connection error"), codes.Unavailable),
			wantUnreachable(ServiceBuildKit, bk)},
		{"ssh remote without agent", errors.New(`failed to solve: no SSH key "default" forwarded from the client`), func(t *testing.T, err error) {
			wantPlain(t, err)
			if !strings.Contains(err.Error(), "--source-mirror") || !strings.Contains(err.Error(), "git://127.0.0.1:19418/mcp-pinned.git is an ssh remote") {
				t.Errorf("message %q does not name the remote and the way out", err)
			}
		}},
		{"dockerfile error", errors.New("failed to solve: dockerfile parse error on line 1: unknown instruction: FORM"), wantPlain},
		// A failed RUN is the server's build failing (exit 1), whatever its command says.
		{"run quotes git failure", runFailed(`/bin/sh -c echo 'git fetch: connection refused'; exit 1`), wantPlain},
		{"run quotes push failure", runFailed(`/bin/sh -c echo 'failed to push: connection reset'; exit 1`), wantPlain},
		{"run quotes registry 503", runFailed(`/bin/sh -c echo 'unexpected status from HEAD request to x: 503'; exit 1`), wantPlain},
		{"run quotes missing commit", runFailed(`/bin/sh -c echo 'reference is not a tree'; exit 1`), wantPlain},
		{"run quotes missing dir", runFailed(`/bin/sh -c echo 'invalid subdir srv'; exit 1`), wantPlain},
		{"run escapes its quote", runFailed(`/bin/sh -c echo "\\" did not complete successfully: failed to fetch remote: connection refused"; exit 1`), wantPlain},
		{"run exit typed", fmt.Errorf("failed to solve: %w", &gatewaypb.ExitError{ExitCode: 7, Err: errors.New("failed to fetch remote x: connection refused")}), wantPlain},
		{"run exit across grpc", grpcerrors.FromGRPC(grpcerrors.ToGRPC(context.Background(),
			&gatewaypb.ExitError{ExitCode: 1, Err: errors.New("git fetch: unable to connect to x: connection refused")})), wantPlain},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := classify(tc.err, "s", project, commit, ctxURL, reg, bk)
			if !errors.Is(got, tc.err) {
				t.Errorf("classify() = %v does not wrap the original error", got)
			}
			tc.want(t, got)
		})
	}
	if classify(nil, "s", project, commit, ctxURL, reg, bk) != nil {
		t.Error("classify(nil) != nil")
	}
}

// fromBuildKit is err as BuildKit's client decodes it: wrapped by buildkitd with the
// typed details wraps adds (innermost first), sent over gRPC (grpcerrors.ToGRPC) and
// decoded (grpcerrors.FromGRPC).
func fromBuildKit(err error, wraps ...func(error) error) error {
	for _, w := range wraps {
		err = w(err)
	}
	return grpcerrors.FromGRPC(grpcerrors.ToGRPC(context.Background(), err))
}

// vertex is the failed vertex's digest, which the solver adds to every op's error.
func vertex(err error) error {
	return errdefs.WrapVertex(err, digest.FromString("op"))
}

// frontend is the frontend's marker around the errors it returns.
func frontend(err error) error {
	return (&errdefs.Frontend{Name: "dockerfile.v0"}).WrapError(err)
}

// dockerfileLine is the Dockerfile frontend's location of the instruction a step comes from.
func dockerfileLine(n int32) func(error) error {
	return func(err error) error {
		return errdefs.WithSource(err, &errdefs.Source{Info: &pb.SourceInfo{Filename: "Dockerfile", Data: []byte("FROM scratch\nCOPY x /x\n")},
			Ranges: []*pb.Range{{Start: &pb.Position{Line: n}, End: &pb.Position{Line: n}}}})
	}
}

// gitSourceOp is the solve error of a git source op of remote (as llb.Git writes it).
func gitSourceOp(remote, fragment string) func(error) error {
	return func(err error) error {
		id := "git://" + strings.TrimPrefix(strings.TrimPrefix(remote, "git://"), "https://") + "#" + fragment
		op := &pb.Op{Op: &pb.Op_Source{Source: &pb.SourceOp{Identifier: id, Attrs: map[string]string{pb.AttrFullRemoteURL: remote}}}}
		return errdefs.WithSolveError(errdefs.WithOp(err, op, nil), nil, nil, nil)
	}
}

// runFailed is BuildKit's error for a RUN whose process cmd exited 1, as the client gets
// it from buildkitd (the process's type lost: classify must not need it).
func runFailed(cmd string) error {
	return fmt.Errorf("failed to solve: process %q did not complete successfully: exit code: 1", cmd)
}

func wantPlain(t *testing.T, err error) {
	var ue *UnreachableError
	var nf *CommitNotFoundError
	if errors.As(err, &ue) || errors.As(err, &nf) || !strings.Contains(err.Error(), "building server s:") {
		t.Errorf("classify() = %#v, want a plain wrapped build error", err)
	}
}

func wantNotFound(dir string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		var nf *CommitNotFoundError
		if !errors.As(err, &nf) || nf.Directory != dir {
			t.Fatalf("classify() = %v, want *CommitNotFoundError{Directory: %q}", err, dir)
		}
		msg := err.Error()
		for _, s := range []string{"server s", "https://example.com/mcp-pinned", "1042fbfc49f0784062a615b2a0bf626686da429b", "fetched from git://127.0.0.1:19418/mcp-pinned.git"} {
			if !strings.Contains(msg, s) {
				t.Errorf("message %q lacks %q", msg, s)
			}
		}
	}
}

func wantUnreachable(service, addr string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		var ue *UnreachableError
		if !errors.As(err, &ue) || ue.Service != service || ue.Addr != addr {
			t.Fatalf("classify() = %v, want *UnreachableError{%s %s}", err, service, addr)
		}
		if want := fmt.Sprintf("%s %s unreachable", service, addr); !strings.HasPrefix(err.Error(), want) {
			t.Errorf("message %q does not start with %q", err, want)
		}
	}
}
