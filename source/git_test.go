package source

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestGitIgnoresTheEnvironment: git runs with the package's environment only, so the
// caller's GIT_* variables and configuration cannot redirect or widen it.
func TestGitIgnoresTheEnvironment(t *testing.T) {
	r := makeRepo(t, fixtureTrees(), "tag v1 0")
	t.Setenv("GIT_DIR", "/nonexistent")
	t.Setenv("GIT_ALLOW_PROTOCOL", "ssh")
	t.Setenv("GIT_CONFIG_PARAMETERS", "'url.file:///nonexistent/.insteadOf=file://'")
	refs, err := newTestClient(t).ListRefs(bg, r.url)
	if err != nil {
		t.Fatalf("ListRefs() = %v", err)
	}
	if refs.Head != "main" || refs.Branches["main"] != r.commits[1] || refs.Tags["v1"] != r.commits[0] {
		t.Errorf("ListRefs() = %+v", refs)
	}
}

func TestGitBounds(t *testing.T) {
	r := makeRepo(t, fixtureTrees())
	c, err := New(WithFileRemotes(), WithTempDir(t.TempDir()), WithMaxOutput(10))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListRefs(bg, r.url); err == nil || !strings.Contains(err.Error(), "output over 10 bytes") {
		t.Errorf("ListRefs() with a 10-byte cap = %v", err)
	}
	c, err = New(WithFileRemotes(), WithTempDir(t.TempDir()), WithCallTimeout(time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListRefs(bg, r.url)
	var re *RemoteError
	if !errors.As(err, &re) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ListRefs() with a 1ns deadline = %v, want a *RemoteError past its deadline", err)
	}
}
