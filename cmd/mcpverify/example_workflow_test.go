package main

import (
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/workflowcheck"
)

// TestExampleWorkflow: every mcpverify command line of the example workflow parses with
// the flags and arguments mcpverify accepts.
func TestExampleWorkflow(t *testing.T) {
	const file = "../../examples/github-actions/mcp-catalog.yml"
	cmds, err := workflowcheck.Commands(file, "mcpverify")
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]bool{}
	for _, c := range cmds {
		if _, err := workflowcheck.Check(newRootCmd(func(string) string { return "" }), c, nil); err != nil {
			t.Error(err)
		}
		for i, a := range c.Args {
			if a == "-o" && i+1 < len(c.Args) {
				outputs[c.Args[i+1]] = true
			}
		}
	}
	if len(cmds) != 2 || !outputs["markdown"] || !outputs["html"] {
		t.Errorf("%s: want mcpverify audit -o markdown and -o html, found %v", file, cmds)
	}
}
