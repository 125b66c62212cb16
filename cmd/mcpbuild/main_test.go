package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

func TestPrintError(t *testing.T) {
	d1 := &catalog.Diagnostic{Path: "servers/a/server.yaml", Line: 3, Col: 7, Field: "name", Message: "bad"}
	d2 := &catalog.Diagnostic{Path: "servers/b/server.yaml", Line: 8, Col: 11, Field: "source.commit", Message: "short"}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"one", errors.New("buildkit unix:///x.sock unreachable"), "mcpbuild: buildkit unix:///x.sock unreachable\n"},
		{"join of one", errors.Join(d1), "mcpbuild: servers/a/server.yaml:3:7: name: bad\n"},
		{"several, nested", errors.Join(errors.Join(d1, d2), errors.New("writing: closed")),
			"mcpbuild: 3 errors:\nservers/a/server.yaml:3:7: name: bad\nservers/b/server.yaml:8:11: source.commit: short\nwriting: closed\n"},
	}
	for _, tc := range tests {
		var b bytes.Buffer
		printError(&b, tc.err)
		if b.String() != tc.want {
			t.Errorf("%s: printError() wrote %q, want %q", tc.name, b.String(), tc.want)
		}
	}
}

// runMain reads the environment only through the lookup it is given: the process's
// $COSIGN_PASSWORD is not seen, and an empty password (set) differs from none (unset).
func TestRunMainEnvironment(t *testing.T) {
	t.Setenv(cliutil.EnvCosignPassword, "from the process")
	prefix := filepath.Join(t.TempDir(), "k")
	args := []string{"generate-key-pair", "--output-key-prefix", prefix}
	var out, errb bytes.Buffer
	unset := func(string) (string, bool) { return "", false }
	if code := runMain(context.Background(), args, &out, &errb, unset); code != cliutil.ExitUsage ||
		!strings.Contains(errb.String(), "mcpbuild: set "+cliutil.EnvCosignPassword) {
		t.Fatalf("unset: exit %d, stderr %q; want 2 asking for the password", code, errb.String())
	}
	empty := func(k string) (string, bool) { return "", k == cliutil.EnvCosignPassword }
	out.Reset()
	if code := runMain(context.Background(), args, &out, &errb, empty); code != cliutil.ExitOK || out.String() != prefix+".pub\n" {
		t.Fatalf("empty password: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	if _, err := os.Stat(prefix + ".key"); err != nil {
		t.Error(err)
	}
}

// A panic anywhere in a run is reported with its stack and exits 1, as any error nothing
// classifies, not Go's exit status 2 (which would read as a usage error).
func TestRunMainPanic(t *testing.T) {
	var out, errb bytes.Buffer
	code := runMain(context.Background(), []string{"build", "--registry", "r.example", "x"}, &out, &errb,
		func(string) (string, bool) { panic("environment exploded") })
	if code != cliutil.ExitFailed || !strings.Contains(errb.String(), "mcpbuild: internal error: environment exploded") ||
		!strings.Contains(errb.String(), "runtime/debug.Stack") {
		t.Fatalf("exit %d, stderr %q; want 1 naming the panic with its stack", code, errb.String())
	}
}
