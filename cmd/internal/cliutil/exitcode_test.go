package cliutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestIsTransient(t *testing.T) {
	_, statErr := os.Stat("/nonexistent/mcpbuild/key")
	_, urlParseErr := url.Parse("git@h:x")
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("bad input"), false},
		{"missing file (ENOENT is a syscall.Errno)", statErr, false},
		{"bare ENOENT", fmt.Errorf("opening key: %w", syscall.ENOENT), false},
		{"permission", fs.ErrPermission, false},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"reset", fmt.Errorf("reading: %w", syscall.ECONNRESET), true},
		{"dns", &net.DNSError{Err: "no such host", Name: "x"}, true},
		{"url", &url.Error{Op: "Get", URL: "http://x", Err: errors.New("EOF")}, true},
		{"url.Parse", fmt.Errorf("project: %w", urlParseErr), false},
		{"deadline", fmt.Errorf("resolving: %w", context.DeadlineExceeded), true},
		{"429", &transport.Error{StatusCode: http.StatusTooManyRequests}, true},
		{"503", &transport.Error{StatusCode: http.StatusServiceUnavailable}, true},
		{"404", &transport.Error{StatusCode: http.StatusNotFound}, false},
		{"401", &transport.Error{StatusCode: http.StatusUnauthorized}, false},
	} {
		if got := IsTransient(tc.err); got != tc.want {
			t.Errorf("IsTransient(%s: %v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestUnreachableErrorNamesAddress(t *testing.T) {
	err := fmt.Errorf("pushing: %w", &UnreachableError{Addr: "127.0.0.1:15000", Err: syscall.ECONNREFUSED})
	var ue *UnreachableError
	if !errors.As(err, &ue) || ue.Addr != "127.0.0.1:15000" {
		t.Fatalf("errors.As = %v, %+v", ue != nil, ue)
	}
	if got, want := err.Error(), "pushing: 127.0.0.1:15000 unreachable: connection refused"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Error("Unwrap lost the cause")
	}
}
