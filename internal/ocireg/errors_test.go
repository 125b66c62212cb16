package ocireg

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mcpbuild/mcpbuild/fault"
)

// Every failed read is "could not check", a 404 included: only a caller that asked with
// errors.Is(err, ErrNotFound) learns that something is absent.
func TestErrorKind(t *testing.T) {
	notFound := &Error{StatusCode: 404, err: errors.New("reading manifest: registry answered 404")}
	for _, err := range []error{
		notFound,
		&Error{StatusCode: 500, err: errors.New("reading manifest: registry answered 500")},
		badContent("manifest of %d bytes", 5),
		failed("blob", errors.New("reset")),
	} {
		if got := fault.KindOf(fmt.Errorf("checking: %w", err)); got != fault.Unreachable {
			t.Errorf("KindOf(%v) = %v, want unreachable", err, got)
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", notFound), ErrNotFound) {
		t.Error("a 404 is not ErrNotFound")
	}
}
