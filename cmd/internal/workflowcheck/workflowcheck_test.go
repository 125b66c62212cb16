package workflowcheck

import (
	"reflect"
	"testing"
)

func TestInvocations(t *testing.T) {
	script := `# mcpbuild in a comment is not a command
echo mcpbuild is an argument here
mcpbuild publish --key "$RUNNER_TEMP/cosign.key" \
  -o markdown servers/... >> "$GITHUB_STEP_SUMMARY"
x=$(./bin/mcpbuild update-pins --dry-run -o json 'servers/a b' | jq .) || true
jq -r . f | while read -r s; do
  mcpbuild update-pins -o markdown "$(dirname "$s")" > out.md 2>&1; done
if mcpbuild validate -o github servers/...; then :; fi
`
	got := invocations(script, "mcpbuild")
	want := [][]string{
		{"publish", "--key", "$RUNNER_TEMP/cosign.key", "-o", "markdown", "servers/..."},
		{"update-pins", "-o", "markdown", `$(dirname "$s")`},
		{"validate", "-o", "github", "servers/..."},
		{"update-pins", "--dry-run", "-o", "json", "servers/a b"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("invocations =\n%q\nwant\n%q", got, want)
	}
}
