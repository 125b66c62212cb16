package fault_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/mcpbuild/mcpbuild/fault"
)

type kindError struct {
	k   fault.Kind
	err error
}

func (e *kindError) Error() string     { return fmt.Sprintf("%v: %v", e.k, e.err) }
func (e *kindError) Unwrap() error     { return e.err }
func (e *kindError) Fault() fault.Kind { return e.k }

func TestKindOf(t *testing.T) {
	usage := &kindError{k: fault.Usage}
	unreach := &kindError{k: fault.Unreachable}
	failed := &kindError{k: fault.Failed}
	plain := errors.New("plain")
	_, statErr := os.Stat("/nonexistent/fault")
	for _, tc := range []struct {
		name string
		err  error
		want fault.Kind
	}{
		{"nil", nil, fault.Unknown},
		{"plain", plain, fault.Unknown},
		{"usage", usage, fault.Usage},
		{"wrapped twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", unreach)), fault.Unreachable},
		{"the outer type decides", &kindError{k: fault.Failed, err: unreach}, fault.Failed},
		{"a type may decide nothing", &kindError{k: fault.Unknown, err: syscall.ECONNREFUSED}, fault.Unknown},
		{"failed and plain", errors.Join(plain, failed), fault.Failed},
		{"unreachable beats failed", errors.Join(failed, unreach), fault.Unreachable},
		{"usage beats all", errors.Join(unreach, failed, fmt.Errorf("x: %w", usage)), fault.Usage},
		{"nested join", fmt.Errorf("run: %w", errors.Join(failed, errors.Join(plain, unreach))), fault.Unreachable},
		{"network fault", fmt.Errorf("dial: %w", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), fault.Unreachable},
		{"network fault among failures", errors.Join(failed, syscall.ECONNRESET), fault.Unreachable},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), fault.Unreachable},
		{"missing file", statErr, fault.Unknown},
		{"url.Parse", &url.Error{Op: "parse", URL: "::", Err: plain}, fault.Unknown},
		{"request", &url.Error{Op: "Get", URL: "http://x", Err: plain}, fault.Unreachable},
	} {
		if got := fault.KindOf(tc.err); got != tc.want {
			t.Errorf("%s: KindOf(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// A Classifier classifies the errors of other modules on the way, after Faulter.
func TestClassifier(t *testing.T) {
	foreign := errors.New("a 503 from another module")
	c := fault.Classifier(func(err error) fault.Kind {
		if err == foreign {
			return fault.Unreachable
		}
		return fault.Unknown
	})
	for _, tc := range []struct {
		name string
		err  error
		want fault.Kind
	}{
		{"foreign", fmt.Errorf("pushing: %w", foreign), fault.Unreachable},
		{"foreign in a join", errors.Join(&kindError{k: fault.Failed}, foreign), fault.Unreachable},
		{"Faulter first", &kindError{k: fault.Failed, err: foreign}, fault.Failed},
		{"other", errors.New("x"), fault.Unknown},
	} {
		if got := c.KindOf(tc.err); got != tc.want {
			t.Errorf("%s: KindOf(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
	if got := fault.KindOf(foreign); got != fault.Unknown {
		t.Errorf("fault.KindOf(foreign) = %v, want unknown", got)
	}
}

// asOnly holds errors behind an As method only, as go-containerregistry's ping does.
type asOnly []error

func (m asOnly) Error() string { return "several" }
func (m asOnly) As(target any) bool {
	for _, err := range m {
		if errors.As(err, target) {
			return true
		}
	}
	return false
}

func TestKindOfAsOnly(t *testing.T) {
	refused := &url.Error{Op: "Get", URL: "https://r/v2/", Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}
	for _, tc := range []struct {
		name string
		err  error
		want fault.Kind
	}{
		{"network", fmt.Errorf("authenticating: %w", asOnly{refused, refused}), fault.Unreachable},
		{"faulter", asOnly{errors.New("x"), fmt.Errorf("y: %w", &kindError{k: fault.Usage})}, fault.Usage},
		{"nothing known", asOnly{errors.New("x")}, fault.Unknown},
	} {
		if got := fault.KindOf(tc.err); got != tc.want {
			t.Errorf("%s: KindOf(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestNew(t *testing.T) {
	errGone := fault.New(fault.Failed, "gone")
	err := fmt.Errorf("reading back: %w", errGone)
	if !errors.Is(err, errGone) || fault.KindOf(err) != fault.Failed || err.Error() != "reading back: gone" {
		t.Errorf("New: Is %v, KindOf %v, %q", errors.Is(err, errGone), fault.KindOf(err), err)
	}
	if errors.Is(err, fault.New(fault.Failed, "gone")) {
		t.Error("two sentinels with the same text are the same error")
	}
}
