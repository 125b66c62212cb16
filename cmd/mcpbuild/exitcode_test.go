package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/sign"
)

func TestExitCode(t *testing.T) {
	unreachable := &build.UnreachableError{Service: build.ServiceBuildKit, Addr: "unix:///x", Err: errors.New("no")}
	notFound := &build.CommitNotFoundError{Server: "s", Project: "p", Commit: "c", Err: errors.New("reference is not a tree")}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"usage", cliutil.Usagef("bad flag"), 2},
		{"wrapped usage", fmt.Errorf("x: %w", cliutil.Usagef("bad")), 2},
		{"buildkit unreachable", unreachable, 3},
		{"wrapped unreachable", fmt.Errorf("building: %w", unreachable), 3},
		{"tlog unreachable", fmt.Errorf("publishing: %w", &sign.TLogError{URL: "http://127.0.0.1:13000", Err: errors.New("refused")}), 3},
		{"cliutil unreachable", &cliutil.UnreachableError{Addr: "r", Err: errors.New("x")}, 3},
		{"dial error", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, 3},
		{"deadline", context.DeadlineExceeded, 3},
		{"commit not found", notFound, 1},
		{"catalog diagnostic", errors.Join(&catalog.Diagnostic{Path: "servers/x/server.yaml", Line: 3, Col: 1, Message: "bad"}), 1},
		{"plain build failure", errors.New("dockerfile parse error"), 1},
		{"one unreachable among failures", errors.Join(notFound, unreachable), 3},
		{"usage wins", errors.Join(unreachable, cliutil.Usagef("x")), 2},
	}
	for _, tc := range tests {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: exitCode(%v) = %d, want %d", tc.name, tc.err, got, tc.want)
		}
	}
}
