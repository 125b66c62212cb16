package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
)

// Every bad --repository-prefix and -t/--tag is a usage error naming the flag, for build
// and publish alike, before anything is loaded or contacted.
func TestNamesUsageErrors(t *testing.T) {
	t.Setenv(cliutil.EnvRegistry, "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--repository-prefix", "acme/mcp"}, `--repository-prefix "acme/mcp": want HOST[:PORT][/PATH]`},
		{[]string{"--repository-prefix", "https://ghcr.io/acme"}, "without scheme"},
		{[]string{"--repository-prefix", "ghcr.io/acme/"}, "empty path component"},
		{[]string{"--repository-prefix", "ghcr.io/Acme"}, `--repository-prefix "ghcr.io/Acme"`},
		{[]string{"--repository-prefix", "ghcr.io/acme:v1"}, "without tag or digest"},
		{[]string{"--repository-prefix", "127.0.0.1:99999/x"}, "port"},
		{[]string{"--repository-prefix", "ghcr.io/acme", "--registry", "ghcr.io"}, "--registry and --repository-prefix exclude each other"},
		{[]string{"--registry", "r.io", "-t", "v1", "-t", "v1"}, `--tag "v1" given twice`},
		{[]string{"--registry", "r.io", "-t", "v1", "--tag", ""}, "--tag must not be empty"},
		{[]string{"--registry", "r.io", "-t", "v1", "-t", "-bad"}, `--tag "-bad"`},
		{[]string{"--registry", "r.io", "-t", "v1,v2"}, `--tag "v1,v2"`},
	} {
		for _, verb := range []string{"build", "publish"} {
			args := append(append([]string{verb}, tc.args...), "--key", "k.key", "servers/...")
			if verb == "build" {
				args = append(append([]string{verb}, tc.args...), "servers/...")
			}
			out, _, code, err := run(t, args...)
			if code != cliutil.ExitUsage || err == nil || !strings.Contains(err.Error(), tc.want) || out != "" {
				t.Errorf("mcpbuild %q: exit %d, err %v, stdout %q; want exit 2 and %q", args, code, err, out, tc.want)
			}
		}
	}
}

// A prefix alone is enough (no registry needed), and it wins over $MCPBUILD_REGISTRY,
// which is only the default of both flags.
func TestPrefixPlanOptions(t *testing.T) {
	o := &buildOptions{prefix: "127.0.0.1:15000/team", tags: []string{"v1", "stable"}}
	po, err := o.planOptions(func(k string) string {
		if k == cliutil.EnvRegistry {
			return "registry.example.com"
		}
		return ""
	})
	if err != nil || po.Registry != "" || po.Prefix != "127.0.0.1:15000/team" || po.Tag != "v1" || len(po.ExtraTags) != 1 || po.ExtraTags[0] != "stable" {
		t.Errorf("planOptions = %+v, %v", po, err)
	}
	if got := registryOf(po); got != "127.0.0.1:15000" {
		t.Errorf("registryOf(prefix) = %q, want the prefix's host", got)
	}
}

// Every element of `publish -o json` carries its versioned media type before the
// report's own fields, which are unchanged.
func TestPublishJSONMediaType(t *testing.T) {
	i := int64(7)
	rs := []publish.Report{
		{Name: "a", Image: "r.io/mcp/a@sha256:" + strings.Repeat("0a", 32), Commit: strings.Repeat("1", 40), Signature: "r.io/mcp/signatures:sha256-x.sig",
			SignatureLogIndex: &i, Status: publish.Published},
		{Name: "b", Commit: strings.Repeat("2", 40), Status: publish.Failed, Reason: "boom", Err: errors.New("boom")},
	}
	var b bytes.Buffer
	if err := writeReports(&b, "json", rs); err != nil {
		t.Fatal(err)
	}
	want := `[
  {
    "mediaType": "application/vnd.mcpbuild.publish.v1+json",
    "name": "a",
    "image": "r.io/mcp/a@sha256:` + strings.Repeat("0a", 32) + `",
    "commit": "` + strings.Repeat("1", 40) + `",
    "signature": "r.io/mcp/signatures:sha256-x.sig",
    "signatureLogIndex": 7,
    "status": "published"
  },
  {
    "mediaType": "application/vnd.mcpbuild.publish.v1+json",
    "name": "b",
    "commit": "` + strings.Repeat("2", 40) + `",
    "status": "failed",
    "reason": "boom"
  }
]
`
	if b.String() != want {
		t.Errorf("publish -o json:\n%s\nwant:\n%s", b.String(), want)
	}
	// Decoding into publish.Report, as before, still works.
	var back []publish.Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back) != 2 || back[0].Name != "a" || *back[0].SignatureLogIndex != 7 || back[1].Reason != "boom" {
		t.Errorf("decoding = %+v, %v", back, err)
	}
	b.Reset()
	if err := writeReports(&b, "json", nil); err != nil || b.String() != "[]\n" {
		t.Errorf("no reports: %q, %v; want []", b.String(), err)
	}
}
