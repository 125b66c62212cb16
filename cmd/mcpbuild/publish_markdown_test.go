package main

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
)

// TestPublishMarkdownGolden: one report of each status, hostile text (table breakers,
// markup, links, mentions, line breaks, terminal and bidi controls) in a name and a
// reason: the table keeps its shape and nothing renders as markup.
func TestPublishMarkdownGolden(t *testing.T) {
	i, j := int64(41), int64(42)
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	rs := []publish.Report{
		{Name: "alpha", Image: "registry.example/mcp/alpha@" + digest, Commit: testPin, Status: publish.Unchanged},
		{Name: "beta", Image: "registry.example/mcp/beta@" + digest, Commit: testPin, Status: publish.Published,
			Signature: "registry.example/sigs:sha256-0123.sig", SignatureLogIndex: &i, AttestationLogIndex: &j},
		{Name: "evil|`<script>`[x](https://evil.example) @octocat\n#1", Commit: testPin, Status: publish.Failed,
			Reason: "push registry.example/mcp/evil: 400 </td>| **bold** <img src=x> www.evil.example \u202egnp.exe\x1b[2J\r\nline 2"},
	}
	var b strings.Builder
	if err := writeReports(&b, "markdown", rs); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("testdata/publish", 0o755); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "testdata/publish/report.md.golden", b.String())
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4+2+3 || lines[0] != "## mcpbuild publish: ❌ 1 of 3 failed" ||
		lines[2] != "**3 servers: 1 published, 1 unchanged, 1 failed**" {
		t.Fatalf("report:\n%s", b.String())
	}
	for k, want := range []string{"| ❌ failed |", "| ✅ published | signature 41, attestation 42 |", "| ➖ unchanged |"} {
		if !strings.Contains(lines[6+k], want) {
			t.Errorf("row %d lacks %q: %s", k, want, lines[6+k])
		}
	}
	for _, l := range lines[4:] {
		if n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(l, -1)); n != 7 {
			t.Errorf("row has %d unescaped pipes, want 7: %q", n, l)
		}
	}
	if strings.ContainsAny(b.String(), "\x1b\u202e\r") {
		t.Errorf("control or bidi characters in the report: %q", b.String())
	}
}

// -o markdown is publish's alone: build keeps text and json, and publish names its three.
func TestPublishMarkdownUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"publish", "-o", "html", "servers/..."}, `--output "html": want text, json or markdown`},
		{[]string{"build", "-o", "markdown", "servers/..."}, `--output "markdown": want text or json`},
		{[]string{"publish", "-o", "markdown", "-j", "0", "servers/..."}, `--jobs 0: want at least 1`},
	} {
		out, _, code, err := run(t, tc.args...)
		if code != cliutil.ExitUsage || err == nil || !strings.Contains(err.Error(), tc.want) || out != "" {
			t.Errorf("mcpbuild %q: exit %d, err %v, stdout %q; want exit 2, %q", tc.args, code, err, out, tc.want)
		}
	}
}

// publish -o markdown end to end (no BuildKit needed): an unchanged server and an invalid
// entry give a report that leads with the failure, and exit 1.
func TestPublishMarkdownRun(t *testing.T) {
	publishEnv(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	dig, _ := publishedImage(t, host)
	pattern, _ := publishCatalog(t, "mcp/alpha")

	out, _, code, _ := run(t, "publish", "--registry", host, "--key", testKey, "--tlog-upload=false", "-o", "markdown", pattern)
	if code != cliutil.ExitFailed {
		t.Errorf("exit %d, want 1", code)
	}
	short := host + "/mcp/alpha@" + dig.DigestStr()[:len("sha256:")+12]
	for _, want := range []string{
		"## mcpbuild publish: ❌ 1 of 2 failed\n",
		"**2 servers: 0 published, 1 unchanged, 1 failed**",
		"| `broken` |  |  | ❌ failed |  | `",
		"| `alpha` | `" + short + "` | `" + testPin[:12] + "` | ➖ unchanged |  |  |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "`broken`") > strings.Index(out, "`alpha`") {
		t.Errorf("the failed row is not first:\n%s", out)
	}
}
