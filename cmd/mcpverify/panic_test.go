package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// A panic anywhere in a run is exit 3 (could not check) with a message, not Go's exit
// status 2 (which would read as a usage error).
func TestPanicIsCouldNotCheck(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"--commit", verifytest.PinCommit, "x/y"}, &out, &errb,
		func(string) string { panic("environment exploded") })
	if code != cliutil.ExitUnreachable || !strings.Contains(errb.String(), "internal error: environment exploded") {
		t.Fatalf("exit %d, stderr %q; want 3 naming the panic", code, errb.String())
	}
}
