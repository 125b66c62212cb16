//go:build e2e

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// On the real stack (registry and Rekor), behind a counting proxy: a warm audit of an
// unchanged catalog makes no manifest GET and takes 1 round trip per image (the tag hint:
// the .sig and .att HEADs go out with the tag's); a tag moved since is verified as the
// digest it names now, signed or not.
func TestE2EWarmAuditSpeculates(t *testing.T) {
	s := e2eStack(t)
	proxy, err := hostile.NewProxy("http://" + s.registry)
	if err != nil {
		t.Fatal(err)
	}
	host := proxy.Start(t)
	run := fmt.Sprint(time.Now().UnixNano())
	sigRepo, err := name.NewRepository(host + "/mcpverify-e2e/hint-signatures-" + run)
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string]string{}
	var repos []name.Repository
	for i := range 2 {
		path := fmt.Sprintf("mcpverify-e2e/hint-%s-%d", run, i)
		repo, err := name.NewRepository(host + "/" + path)
		if err != nil {
			t.Fatal(err)
		}
		publishTo(t, s, sigRepo, pushTo(t, repo, "v1", verifytest.PinCommit))
		// At the repository root: publishTo's provenance names no directory.
		entries[fmt.Sprintf("hint%d", i)] = fmt.Sprintf("name: hint%d\nimage: %s\ntype: server\nsource:\n  project: %s\n  commit: %s\n",
			i, path, verifytest.Project, verifytest.PinCommit)
		repos = append(repos, repo)
	}
	cat := writeCatalog(t, entries)
	cache := t.TempDir()
	audit := func() (int, auditJSON, string) {
		t.Helper()
		code, out, errs := cli(t, nil, "--key", e2ePub, "--rekor-key", s.rekorPub, "--signatures-repo", sigRepo.Name(),
			"--registry", host, "--cache-dir", cache, "--stats", "audit", "--catalog", cat, "--tag", "v1", "-o", "json")
		var a auditJSON
		if err := json.Unmarshal([]byte(out), &a); err != nil {
			t.Fatalf("audit: exit %d, %v\n%s\n%s", code, err, out, errs)
		}
		return code, a, errs
	}
	if code, _, errs := audit(); code != cliutil.ExitOK {
		t.Fatalf("cold audit: exit %d\n%s", code, errs)
	}
	before := len(proxy.Log())
	code, warm, errs := audit()
	if code != cliutil.ExitOK || warm.Totals["verified"] != 2 {
		t.Fatalf("warm audit: exit %d, %v\n%s", code, warm.Totals, errs)
	}
	// Per image: the tag, .sig and .att HEADs in one round trip.
	if !strings.Contains(errs, "(GET 0, HEAD 6) in 2 round trips") || !strings.Contains(errs, "manifest GETs: 0, blob GETs: 0") {
		t.Errorf("warm audit stats: %s", errs)
	}
	for _, e := range proxy.Log()[before:] {
		if e.Method != http.MethodHead && strings.Contains(e.Path, "/manifests/") {
			t.Errorf("warm audit: %s %s", e.Method, e.Path)
		}
	}

	// Tag 0 moves to another signed image, tag 1 to an unsigned one.
	moved := pushTo(t, repos[0], "v1", verifytest.PinCommit)
	publishTo(t, s, sigRepo, moved)
	unsigned := pushTo(t, repos[1], "v1", verifytest.PinCommit)
	code, after, errs := audit()
	if code != cliutil.ExitFailed || after.Totals["verified"] != 1 || after.Totals["notVerified"] != 1 {
		t.Fatalf("audit after the tags moved: exit %d, %v, want 1 verified and 1 not\n%s", code, after.Totals, errs)
	}
	for _, r := range after.Servers {
		want := map[string]string{"hint0": moved.DigestStr(), "hint1": unsigned.DigestStr()}[r.Server]
		if r.Verdict == nil || r.Verdict.Digest != want || r.Verdict.Verified != (r.Server == "hint0") {
			t.Errorf("%s: verdict %+v, want about %s", r.Server, r.Verdict, want)
		}
	}
}

type auditJSON struct {
	Servers []struct {
		Server  string `json:"server"`
		Verdict *struct {
			Digest   string `json:"digest"`
			Verified bool   `json:"verified"`
			Reason   string `json:"reason"`
		} `json:"verdict"`
	} `json:"servers"`
	Totals map[string]int `json:"totals"`
}
