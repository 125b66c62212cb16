package build

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// Two daemons run the same step (one vertex digest) at once on one plain display, through
// Tagged views: the display shows two steps, each with its own daemon's log.
func TestProgressTaggedDaemons(t *testing.T) {
	var buf bytes.Buffer
	p, err := NewProgress(&buf, "plain")
	if err != nil {
		t.Fatal(err)
	}
	same := digest.FromString("RUN make")
	var wg sync.WaitGroup
	for _, tag := range []string{"tcp://bk1:1", "unix:///bk2.sock"} {
		ch := p.Tagged(tag).channel()
		wg.Go(func() {
			start := time.Now()
			ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: same, Name: "RUN make", Started: &start}}}
			ch <- &client.SolveStatus{Logs: []*client.VertexLog{{Vertex: same, Stream: 1, Data: []byte("log of " + tag + "\n"), Timestamp: start}}}
			done := time.Now()
			ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: same, Name: "RUN make", Started: &start, Completed: &done}}}
			close(ch)
		})
	}
	wg.Wait()
	if err := p.Tagged("x").Close(); err != nil { // a view closes its display
		t.Fatal(err)
	}
	out := buf.String()
	for _, tag := range []string{"tcp://bk1:1", "unix:///bk2.sock"} {
		// "#N [tag] RUN make" then "#N <time> log of tag" with the same N.
		m := regexp.MustCompile(`#(\d+) \[` + regexp.QuoteMeta(tag) + `\] RUN make`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no step of %s:\n%s", tag, out)
		}
		if !regexp.MustCompile(`#` + m[1] + ` [0-9.]+ log of ` + regexp.QuoteMeta(tag)).MatchString(out) {
			t.Errorf("the log of %s is not under its step #%s:\n%s", tag, m[1], out)
		}
	}
	if strings.Count(out, "RUN make\n") < 2 {
		t.Errorf("want two steps:\n%s", out)
	}
	if p.Tagged("y").Line("after close") {
		t.Error("Line on a view of a closed display reported true")
	}
}
