package verify

import (
	"context"
	"testing"
)

// A panic in one of fetchAll's goroutines is raised again in the caller (where Verify
// recovers it), not left to end the process.
func TestFetchAllRaisesPanicInCaller(t *testing.T) {
	var got any
	func() {
		defer func() { got = recover() }()
		fetchAll(context.Background(), func(context.Context) {}, func(context.Context) { panic("boom") })
	}()
	pe, ok := got.(*panicError)
	if !ok || pe.value != "boom" || len(pe.stack) == 0 {
		t.Fatalf("recovered %#v, want *panicError for boom with a stack", got)
	}
}
