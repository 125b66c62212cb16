package build

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	"github.com/mcpbuild/mcpbuild/internal/ptytest"
)

// solveOf sends what BuildKit sends for a two-step solve (the same digests for every
// server, as identical steps of two solves have) with a log line of the second step.
func solveOf(ch chan *client.SolveStatus, logLine string) {
	now := time.Now()
	meta := &client.Vertex{Digest: digest.FromString("meta"), Name: "[internal] load metadata for docker.io/library/alpine:3.20", Started: &now, Completed: &now}
	run := &client.Vertex{Digest: digest.FromString("run"), Inputs: []digest.Digest{meta.Digest}, Name: "[2/2] RUN make", Started: &now}
	push := &client.Vertex{Digest: digest.FromString("push"), Name: "pushing layers", Started: &now, Completed: &now,
		ProgressGroup: &pb.ProgressGroup{Id: "g", Name: "exporting to image"}}
	ch <- &client.SolveStatus{Vertexes: []*client.Vertex{meta, run, push}}
	ch <- &client.SolveStatus{Logs: []*client.VertexLog{{Vertex: run.Digest, Data: []byte(logLine + "\n"), Timestamp: now}}}
	end := time.Now() // a new message, as BuildKit sends it (a Tagged view renames in place)
	done := &client.Vertex{Digest: digest.FromString("run"), Inputs: []digest.Digest{digest.FromString("meta")}, Name: "[2/2] RUN make", Started: &now, Completed: &end}
	ch <- &client.SolveStatus{Vertexes: []*client.Vertex{done}}
	close(ch)
}

// In plain mode every step of a server's solve is shown prefixed with its name, and the
// same step of two servers shows twice, each with its own logs.
func TestProgressPrefixPlain(t *testing.T) {
	var buf bytes.Buffer
	p, err := NewProgress(&buf, "plain")
	if err != nil {
		t.Fatal(err)
	}
	a, b := p.channelFor("alpha"), p.channelFor("beta")
	solveOf(a, "alpha log line")
	solveOf(b, "beta log line")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, srv := range []string{"alpha", "beta"} {
		run := regexp.MustCompile(`(?m)^#(\d+) ` + srv + `: \[2/2\] RUN make$`).FindStringSubmatch(out)
		if run == nil || !regexp.MustCompile(`(?m)^#`+run[1]+` [0-9.]+ `+srv+` log line$`).MatchString(out) {
			t.Errorf("%s: no prefixed RUN step with its own log line in:\n%s", srv, out)
		}
		for _, step := range []string{`\[internal\] load metadata`, "exporting to image"} {
			if !regexp.MustCompile(`(?m)^#\d+ ` + srv + `: ` + step).MatchString(out) {
				t.Errorf("%s: no prefixed step %s in:\n%s", srv, step, out)
			}
		}
	}
	if regexp.MustCompile(`(?m)^#\d+ \[`).MatchString(out) {
		t.Errorf("a step without its server's name:\n%s", out)
	}
}

// On a terminal, the repainted display names each step with its server too.
func TestProgressPrefixTerminal(t *testing.T) {
	term := ptytest.Open(t, 40, 120)
	p, err := NewProgress(term.TTY, "tty")
	if err != nil {
		t.Fatal(err)
	}
	solveOf(p.channelFor("alpha"), "a")
	solveOf(p.channelFor("beta"), "b")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	term.Close()
	screen := strings.Join(term.Screen(), "\n")
	for _, want := range []string{"alpha: [2/2] RUN make", "beta: [2/2] RUN make", "alpha: [internal] load metadata", "beta: [internal] load metadata",
		"alpha: exporting to image", "beta: exporting to image"} {
		if !strings.Contains(screen, want) {
			t.Errorf("screen lacks %q:\n%s", want, screen)
		}
	}
}

// prefixed leaves the status it is given alone and derives every digest from the server.
func TestPrefixedCopies(t *testing.T) {
	d := digest.FromString("x")
	st := &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: d, Name: "step", Inputs: []digest.Digest{d}}},
		Statuses: []*client.VertexStatus{{ID: "s", Vertex: d}}, Warnings: []*client.VertexWarning{{Vertex: d}}}
	a, b := prefixed("a", "a: ", st), prefixed("b", "b: ", st)
	if st.Vertexes[0].Name != "step" || st.Vertexes[0].Digest != d || st.Statuses[0].Vertex != d {
		t.Errorf("prefixed changed its input: %+v", st.Vertexes[0])
	}
	va, vb := a.Vertexes[0], b.Vertexes[0]
	if va.Name != "a: step" || va.Digest == d || va.Digest == vb.Digest || va.Inputs[0] != va.Digest ||
		a.Statuses[0].Vertex != va.Digest || a.Warnings[0].Vertex != va.Digest {
		t.Errorf("prefixed = %+v / %+v", va, vb)
	}
	if prefixed("", "", st) != st {
		t.Error(`prefixed("") is not the status itself`)
	}
}

// A fleet daemon's Tagged view and the server prefix combine: "<server>: [daemon] step".
func TestProgressPrefixTagged(t *testing.T) {
	var buf bytes.Buffer
	p, err := NewProgress(&buf, "plain")
	if err != nil {
		t.Fatal(err)
	}
	solveOf(p.Tagged("bk-1").channelFor("alpha"), "alpha on bk-1")
	solveOf(p.Tagged("bk-2").channelFor("alpha"), "alpha on bk-2")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"bk-1", "bk-2"} {
		for _, step := range []string{`\[2/2\] RUN make`, "exporting to image"} {
			if !regexp.MustCompile(`(?m)^#\d+ alpha: \[` + d + `\] ` + step + `$`).MatchString(buf.String()) {
				t.Errorf("no step \"alpha: [%s] %s\" in:\n%s", d, step, buf.String())
			}
		}
	}
}
