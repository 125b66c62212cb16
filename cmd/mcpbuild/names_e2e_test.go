//go:build e2e

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/publish"
)

// pinnedCatalog copies the testdata entry "pinned" (image mcp/pinned) into a catalog of
// its own and returns the catalog directory.
func pinnedCatalog(t *testing.T, s e2eStack) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.catalog, "pinned", "server.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "servers")
	if err := os.MkdirAll(filepath.Join(dir, "pinned"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pinned", "server.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// build --repository-prefix P -t A -t B pushes mcp/pinned to P/mcp/pinned, and both
// tags resolve to the one digest it reports; plain progress names the server on every
// build step.
func TestE2EBuildPrefixTwoTags(t *testing.T) {
	s := e2e(t)
	id := strings.ReplaceAll(strings.TrimPrefix(t.Name(), "TestE2E"), "/", "-")
	tagA, tagB := uniqueTag(id+"-a"), uniqueTag(id+"-b")
	prefix := s.registry + "/mcpbuild-e2e/prefix"
	out, stderr, code, err := run(t, "build", "--repository-prefix", prefix, "-t", tagA, "--tag", tagB, "--progress", "plain", "-o", "json",
		s.mirror(), filepath.Join(s.catalog, "pinned"))
	if code != 0 {
		t.Fatalf("build: exit %d, %v\n%s", code, err, stderr)
	}
	var rows []resultJSON
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("build output %q: %v", out, err)
	}
	r := rows[0]
	repo := prefix + "/mcp/pinned"
	if r.Status != statusBuilt || r.MediaType != BuildMediaType || !strings.HasPrefix(r.Image, repo+"@sha256:") || r.Tag != repo+":"+tagA ||
		strings.Join(r.Tags, ",") != repo+":"+tagA+","+repo+":"+tagB {
		t.Fatalf("row %+v; want built at %s with tags %s and %s", r, repo, tagA, tagB)
	}
	for _, tag := range []string{tagA, tagB} {
		ref, err := name.NewTag(repo + ":" + tag)
		if err != nil {
			t.Fatal(err)
		}
		d, err := remote.Head(ref)
		if err != nil || d.Digest.String() != r.Digest {
			t.Errorf("%s = %v, %v; want %s", ref, d, err, r.Digest)
		}
	}
	steps := regexp.MustCompile(`(?m)^#\d+ (\S.*)$`).FindAllStringSubmatch(stderr, -1)
	named := 0
	for _, st := range steps {
		if strings.HasPrefix(st[1], "pinned: ") {
			named++
		}
	}
	if named == 0 || !regexp.MustCompile(`(?m)^#\d+ pinned: \[`).MatchString(stderr) {
		t.Errorf("plain progress: %d of %d step lines name the server; want its steps prefixed with \"pinned: \":\n%s", named, len(steps), stderr)
	}
}

// uniqueTag is a tag no other run uses.
func uniqueTag(prefix string) string {
	return fmt.Sprintf("%s-%d", strings.ToLower(prefix), time.Now().UnixNano())
}

// publish --repository-prefix P, then mcpverify audit --repository-prefix P (and
// mcpverify P/mcp/pinned:tag, its pin found under the prefix) is VERIFIED; audit with
// --registry and a prefix is a usage error.
func TestE2EPublishPrefixAudit(t *testing.T) {
	s := e2eSign(t)
	tag, sigRepo := s.unique(t)
	prefix := s.registry + "/mcpbuild-e2e/prefix-" + tag
	servers := pinnedCatalog(t, s.e2eStack)
	out, stderr, code, err := run(t, "publish", "--repository-prefix", prefix, "-t", tag, "-t", tag+"-also", "--key", e2eKeyA,
		"--signatures-repo", sigRepo, "--rekor-url", s.rekorURL, "--progress", "quiet", "-o", "json", s.mirror(), filepath.Join(servers, "..."))
	var rs []publish.Report
	if code != 0 || json.Unmarshal([]byte(out), &rs) != nil || len(rs) != 1 || rs[0].Status != publish.Published ||
		!strings.HasPrefix(rs[0].Image, prefix+"/mcp/pinned@sha256:") || !strings.Contains(out, `"mediaType": "`+PublishMediaType+`"`) {
		t.Fatalf("publish: exit %d, %v, %s\n%s", code, err, out, stderr)
	}
	again, _, code, err := run(t, "publish", "--repository-prefix", prefix, "-t", tag, "-t", tag+"-also", "--key", e2eKeyA,
		"--signatures-repo", sigRepo, "--rekor-url", s.rekorURL, "--progress", "quiet", "-o", "json", s.mirror(), filepath.Join(servers, "..."))
	if code != 0 || !strings.Contains(again, `"status": "unchanged"`) {
		t.Errorf("second publish: exit %d, %v, %s; want unchanged", code, err, again)
	}

	bin := filepath.Join(t.TempDir(), "mcpverify")
	if b, err := exec.Command("go", "build", "-o", bin, "github.com/mcpbuild/mcpbuild/cmd/mcpverify").CombinedOutput(); err != nil {
		t.Fatalf("building mcpverify: %v\n%s", err, b)
	}
	flags := []string{"--key", e2ePubA, "--rekor-key", s.rekorPub, "--signatures-repo", sigRepo, "--require-provenance",
		"--require-signed-revision", "--repository-prefix", prefix, "--catalog", servers, s.mirror()}
	vout, verr, err := runCmd(bin, append(flags, "audit", "--tag", tag, "-o", "json")...)
	var audit struct {
		Servers []struct {
			Image string `json:"image"`
		} `json:"servers"`
		Totals map[string]int `json:"totals"`
	}
	if jerr := json.Unmarshal(vout, &audit); err != nil || jerr != nil || audit.Totals["verified"] != 1 || len(audit.Servers) != 1 ||
		audit.Servers[0].Image != prefix+"/mcp/pinned:"+tag {
		t.Errorf("mcpverify audit --repository-prefix: %v, %+v\n%s\n%s", err, audit, vout, verr)
	}
	for _, tg := range []string{tag, tag + "-also"} {
		vout, verr, err = runCmd(bin, append(flags, prefix+"/mcp/pinned:"+tg)...)
		if first, _, _ := strings.Cut(string(vout), "\n"); err != nil || first != prefix+"/mcp/pinned:"+tg+": VERIFIED" {
			t.Errorf("mcpverify %s:%s: %v\n%s\n%s", prefix, tg, err, vout, verr)
		}
	}
	_, verr, err = runCmd(bin, append(flags, "--registry", s.registry, "audit")...)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(verr), "exclude each other") {
		t.Errorf("audit with --registry and --repository-prefix: %v\n%s", err, verr)
	}
}
