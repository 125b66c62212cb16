package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/verify"
)

var update = flag.Bool("update", false, "rewrite testdata/report/*.golden from the current output")

const (
	pinA    = "0123456789abcdef0123456789abcdef01234567"
	digestA = "sha256:aaaaaaaaaaaabbbbbbbbbbbbccccccccccccddddddddddddeeeeeeeeeeeeffff"
)

// Hostile values, as a catalog entry or a registry could carry them: table breakers,
// Markdown and HTML markup, links, mentions, line breaks, terminal and bidi controls.
const (
	hostileName   = "evil|name`<script>alert(1)</script>[x](https://evil.example)\n# heading @octocat"
	hostileReason = "signature: </td></tr><tr data-status=\"pass\"><td>ok | `code` **bold** <img src=x onerror=alert(1)> https://evil.example www.evil.example \u202egnp.exe\x1b[2J\r\nnext line"
)

func check(n string, s verify.Status, d string) verify.Check {
	return verify.Check{Name: n, Status: s, Detail: d}
}

// reportFixture has one result of each kind, hostile text in names, reasons and details.
func reportFixture(t *testing.T) []result {
	t.Helper()
	ref := func(s string) name.Reference {
		r, err := name.ParseReference(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	pol := verify.Policy{Pin: catalog.Pin{Project: "https://git.example/p", Commit: pinA}}
	passAll := []verify.Check{
		check(verify.CheckDigest, verify.StatusPass, "tag resolves to "+digestA),
		check(verify.CheckSignature, verify.StatusPass, "signed by the key"),
		check(verify.CheckTLog, verify.StatusPass, "rekor entry 42"),
		check(verify.CheckLabel, verify.StatusPass, "revision "+pinA),
		check(verify.CheckSignedRevision, verify.StatusPass, "claim "+pinA),
		check(verify.CheckProvenance, verify.StatusSkipped, "no provenance"),
	}
	failed := append([]verify.Check(nil), passAll...)
	failed[1] = check(verify.CheckSignature, verify.StatusFail, hostileReason[len("signature: "):])
	failed[2] = check(verify.CheckTLog, verify.StatusSkipped, "not reached")
	errored := append([]verify.Check(nil), passAll...)
	errored[5] = check(verify.CheckProvenance, verify.StatusError, "GET .att: 503 Service Unavailable")
	invalid := &catalog.File{Path: "servers/broken/server.yaml", Errors: []*catalog.Diagnostic{{
		Path: "servers/broken/server.yaml", Line: 6, Col: 11, Field: "source.commit", Message: `"main" looks like a branch | <b>tag</b>`}}}
	return []result{
		{target: target{label: "alpha", ref: ref("registry.example/mcp/alpha:latest"), policy: pol},
			verdict: &verify.Verdict{Image: "registry.example/mcp/alpha:latest", Digest: digestA, Checks: passAll, Verified: true}},
		{target: target{label: "remote-example", skip: "type remote"}},
		{target: target{label: hostileName, ref: ref("registry.example/mcp/evil:latest"), policy: pol},
			verdict: &verify.Verdict{Image: "registry.example/mcp/evil:latest", Digest: digestA, Checks: failed, Reason: hostileReason}},
		{target: target{label: "flaky", ref: ref("registry.example/mcp/flaky:latest"), policy: pol},
			verdict: &verify.Verdict{Image: "registry.example/mcp/flaky:latest", Digest: digestA, Checks: errored, Indeterminate: true},
			err:     &verify.Indeterminate{Image: "registry.example/mcp/flaky:latest", Check: verify.CheckProvenance, Err: errors.New("GET .att: 503 Service Unavailable")}},
		{target: target{label: invalid.Label(), invalid: invalid}},
	}
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "report", file)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (go test -run %s -update rewrites it):\n%s", path, t.Name(), got)
	}
}

func TestAuditMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	if err := writeMarkdown(&b, reportTitle{"mcpverify audit", "servers"}, reportFixture(t), 0); err != nil {
		t.Fatal(err)
	}
	golden(t, "audit.md.golden", b.Bytes())
	out := b.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// A heading, the counts, then a 5-column table with one row per result: whatever the
	// values hold, no row gains or loses a cell and no line is added.
	if len(lines) != 4+2+5 || !strings.HasPrefix(lines[0], "## mcpverify audit: ❌ 3 of 4 not verified") {
		t.Fatalf("report has %d lines:\n%s", len(lines), out)
	}
	if lines[2] != "**5 servers: 1 verified, 1 not verified, 1 could not check, 1 skipped, 1 invalid**" {
		t.Errorf("summary line = %q", lines[2])
	}
	for _, l := range lines[4:] {
		if n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(l, -1)); n != 6 {
			t.Errorf("row has %d unescaped pipes, want 6: %q", n, l)
		}
	}
	// Failing rows first, each marked with a symbol and a word.
	for i, want := range []string{"❌ NOT VERIFIED", "❌ INVALID", "⚠️ COULD NOT VERIFY", "✅ VERIFIED", "⏭️ SKIPPED"} {
		if !strings.Contains(lines[6+i], " "+want+" ") {
			t.Errorf("row %d lacks %q: %q", i, want, lines[6+i])
		}
	}
	if strings.ContainsAny(out, "\x1b\u202e\r") {
		t.Errorf("control or bidi characters in the report:\n%q", out)
	}
}

func TestAuditHTMLGolden(t *testing.T) {
	var b bytes.Buffer
	if err := writeHTML(&b, reportTitle{"mcpverify audit", "servers"}, reportFixture(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "audit.html.golden", b.Bytes())
	out := b.String()
	for _, bad := range []string{"<script", "<img", "</td></tr><tr data-status=\"pass\"", "\u202e", "\x1b"} {
		if strings.Contains(out, bad) {
			t.Errorf("page holds %q unescaped", bad)
		}
	}
	// The table's shape is the template's, whatever the values hold: a header row and 5
	// rows of 4+6 cells.
	if tr, td := strings.Count(out, "<tr"), strings.Count(out, "<td"); tr != 6 || td != 5*(4+len(reportChecks)) {
		t.Errorf("page has %d <tr and %d <td, want 6 and 50", tr, td)
	}
	if n := strings.Count(out, `<tr class="fail" data-status="fail"`); n != 2 {
		t.Errorf("%d rows marked data-status=fail, want 2 (not verified, invalid)", n)
	}
	if !strings.Contains(out, `script-src &#39;none&#39;`) && !strings.Contains(out, `script-src 'none'`) {
		t.Errorf("no CSP forbidding scripts")
	}
	if strings.Contains(out, "<link") || strings.Contains(out, ` src="`) || strings.Contains(out, ` href="`) || strings.Contains(out, "url(") {
		t.Errorf("page refers to an external resource")
	}
}

// The cap cuts whole rows and says how many; the result stays within the limit.
func TestMarkdownCap(t *testing.T) {
	var results []result
	for range 500 {
		results = append(results, reportFixture(t)[2])
	}
	var b bytes.Buffer
	if err := writeMarkdown(&b, reportTitle{"mcpverify audit", "servers"}, results, 20000); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if b.Len() > 20000 {
		t.Errorf("report is %d bytes, capped at 20000", b.Len())
	}
	m := regexp.MustCompile(`\*\*(\d+) of 500 rows not shown\*\*`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no cut notice:\n%s", out[len(out)-300:])
	}
	shown := strings.Count(out, "❌ NOT VERIFIED")
	if shown == 0 || m[1] != strconv.Itoa(500-shown) {
		t.Errorf("%d rows shown, notice says %s not shown", shown, m[1])
	}
}
