package build

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// Two solves share one plain display; everything sent before Close is shown.
func TestProgressSharedDisplay(t *testing.T) {
	var buf bytes.Buffer
	p, err := NewProgress(&buf, "plain")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, n := range []string{"first build step", "second build step"} {
		ch := p.channel()
		wg.Go(func() {
			now := time.Now()
			ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: digest.FromString(n), Name: n, Started: &now, Completed: &now}}}
			close(ch) // as client.Solve does
		})
	}
	wg.Wait()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"first build step", "second build step"} {
		if !strings.Contains(buf.String(), n) {
			t.Errorf("progress output lacks %q:\n%s", n, buf.String())
		}
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
}

func TestProgressModes(t *testing.T) {
	var buf bytes.Buffer
	p, err := NewProgress(&buf, "quiet")
	if err != nil {
		t.Fatal(err)
	}
	ch := p.channel()
	now := time.Now()
	ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: digest.FromString("q"), Name: "quiet step", Started: &now, Completed: &now}}}
	close(ch)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("quiet mode wrote %q", buf.String())
	}
	if _, err := NewProgress(&buf, "fancy"); err == nil {
		t.Error(`NewProgress("fancy") = nil error`)
	}
}
