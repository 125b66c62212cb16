package main

import (
	"bytes"
	"errors"
	"testing"

	"github.com/mcpbuild/mcpbuild/catalog"
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
