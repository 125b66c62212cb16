//go:build e2e

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/internal/ptytest"
	"github.com/mcpbuild/mcpbuild/publish"
)

// On a terminal (--progress auto), BuildKit's display repaints stderr; every server's
// progress lines must still be on the final screen, each server's in order.
func TestE2EPublishProgressOnTerminal(t *testing.T) {
	s := e2eSign(t)
	pattern := filepath.Join(s.catalog, "...")
	tag, sigRepo := s.unique(t)
	term := ptytest.Open(t, 400, 250) // tall and wide: nothing scrolls off or is cut
	var out bytes.Buffer
	cmd := newRootCmd(os.LookupEnv)
	cmd.SetArgs([]string{"publish", "--registry", s.registry, "--tag", tag, "--key", e2eKeyA, "--signatures-repo", sigRepo,
		"--rekor-url", s.rekorURL, "--progress", "auto", "-o", "json", "-j", "2", s.mirror(), pattern})
	cmd.SetOut(&out)
	cmd.SetErr(term.TTY)
	err := cmd.ExecuteContext(context.Background())
	term.Close()
	screen := strings.Join(term.Screen(), "\n")
	if err != nil {
		t.Fatalf("publish: %v\n%s", err, screen)
	}
	var rs []publish.Report
	if err := json.Unmarshal(out.Bytes(), &rs); err != nil || len(rs) == 0 {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	if !strings.Contains(screen, "FINISHED") {
		t.Errorf("no BuildKit terminal display on the screen:\n%s", screen)
	}
	for _, r := range rs {
		last := -1
		for _, step := range []string{"checking ", "building", "signing ", "attesting provenance", "published " + r.Image} {
			l := r.Name + ": " + step
			i := strings.Index(screen, l)
			if i < 0 {
				t.Errorf("screen lacks %q:\n%s", l, screen)
				continue
			}
			if i < last {
				t.Errorf("%q out of order on screen:\n%s", l, screen)
			}
			last = i
		}
	}
}
