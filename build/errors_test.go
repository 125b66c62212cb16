package build

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/util/grpcerrors"
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
		{"missing dir", errors.New(`failed to solve: failed to read dockerfile: invalid subdir srv: failed to lstat "srv": no such file or directory`),
			wantNotFound("srv")},
		{"git down", errors.New("failed to solve: failed to fetch remote git://127.0.0.1:1/mcp-pinned.git: git stderr:\nfatal: unable to connect to 127.0.0.1:\n127.0.0.1[0: 127.0.0.1]: errno=Connection refused\n\n: exit status 128"),
			wantUnreachable(ServiceGitRemote, "git://127.0.0.1:19418/mcp-pinned.git")},
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
