package httpx

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
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/mcpbuild/mcpbuild/fault"
)

// KindOf is the one transport-level classification: network faults, deadlines, this
// package's errors and a registry's 429 or 5xx are unreachable; nothing else is.
func TestKindOf(t *testing.T) {
	_, statErr := os.Stat("/nonexistent/mcpbuild/key")
	_, urlParseErr := url.Parse("git@h:x")
	for _, tc := range []struct {
		name string
		err  error
		want bool // fault.Unreachable
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
		{"wrapped 502", fmt.Errorf("pushing signature: %w", &transport.Error{StatusCode: http.StatusBadGateway}), true},
		{"404", &transport.Error{StatusCode: http.StatusNotFound}, false},
		{"401", &transport.Error{StatusCode: http.StatusUnauthorized}, false},
		{"httpx.Error", fmt.Errorf("x: %w", &Error{Service: "registry r", Method: "GET", Path: "/v2/", TimedOut: time.Second, Err: errors.New("slow")}), true},
		{"503 among failures", errors.Join(errors.New("bad"), &transport.Error{StatusCode: 503}), true},
	} {
		if got := KindOf(tc.err) == fault.Unreachable; got != tc.want {
			t.Errorf("KindOf(%s: %v) = %v, want unreachable %v", tc.name, tc.err, KindOf(tc.err), tc.want)
		}
	}
}
