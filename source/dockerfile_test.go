package source

import (
	"strings"
	"testing"
)

// TestCheckDockerfile runs the Dockerfile checks on their own, over a fixed context.
func TestCheckDockerfile(t *testing.T) {
	paths := map[string]bool{"go.mod": true, "cmd": true, "cmd/main.go": true, "web": true, "web/a.json": true}
	tests := []struct {
		name, df, target string
		want             []string // "line: message part", in order
	}{
		{"all present", "FROM golang AS b\nCOPY go.mod cmd/ /src/\nCOPY web/*.json /w/\nCOPY . /all\n", "", nil},
		{"absolute source is from the context root", "FROM x\nCOPY /go.mod /\n", "", nil},
		{"missing file", "FROM x\nRUN true\nCOPY go.sum /\n", "", []string{`3: COPY source "go.sum" does not exist`}},
		{"glob matching nothing", "FROM x\nADD web/*.yaml /\n", "", []string{`2: ADD source "web/*.yaml" matches nothing`}},
		{"escaping", "FROM x\nCOPY cmd/../../etc /\n", "", []string{`2: COPY source "cmd/../../etc" escapes the build context`}},
		{"not checked: --from, URLs, variables, heredocs", "FROM x AS a\nFROM y\nCOPY --from=a /nothere /\nADD https://example.invalid/f /\nARG F=go.sum\nCOPY $F /\nCOPY <<EOF /x\nhello\nEOF\n", "", nil},
		{"an unused stage is not built", "FROM x AS unused\nCOPY nothere /\nFROM y\nCOPY go.mod /\n", "", nil},
		{"a stage used through RUN --mount=from is built", "FROM x AS deps\nCOPY nothere /\nFROM y\nRUN --mount=from=deps,target=/d true\n", "", []string{`2: COPY source "nothere"`}},
		{"a stage used through COPY --from=<index> is built", "FROM x\nCOPY nothere /\nFROM y\nCOPY --from=0 / /\n", "", []string{`2: COPY source "nothere"`}},
		{"a stage used through FROM is built", "FROM x AS base\nCOPY nothere /\nFROM base AS final\nFROM y AS other\n", "final", []string{`2: COPY source "nothere"`}},
		{"target names are case-insensitive", "FROM x AS Final\nCOPY go.mod /\n", "FINAL", nil},
		{"missing target", "FROM x AS a\nFROM y\n", "b", []string{`0: target "b" is not a stage of the Dockerfile (named stages: a)`}},
		{"parse error", "FROM x\nCOPY\n", "", []string{"2: BuildKit cannot parse the Dockerfile"}},
		{"no instructions", "# nothing\n", "", []string{"1: BuildKit cannot parse the Dockerfile: file with no instructions"}},
		{"no FROM", "ARG X=1\n", "", []string{"0: the Dockerfile has no FROM"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkDockerfile([]byte(tt.df), &dockerfileCheck{file: "d/Dockerfile", target: tt.target, ctxDir: "d", paths: paths})
			if len(got) != len(tt.want) {
				t.Fatalf("checkDockerfile() = %+v, want %d findings %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				line, msg, _ := strings.Cut(w, ": ")
				if g := got[i]; itoa(g.Line) != line || !strings.Contains(g.Message, msg) || g.File != "d/Dockerfile" || g.Severity != Error {
					t.Errorf("finding %+v, want line %s and %q", g, line, msg)
				}
			}
		})
	}
}
