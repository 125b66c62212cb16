package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromium returns the path of the Debian chromium binary, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Skip("chromium is not installed: hack/install.sh debs installs it (apt-get install --no-install-recommends chromium); make test runs it")
	return ""
}

// runChromium runs headless chromium on the page with args, under a deadline, with its
// own profile; it returns stdout and stderr (console messages included).
func runChromium(t *testing.T, bin, page string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args = append([]string{"--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}, args...)
	cmd := exec.CommandContext(ctx, bin, append(args, "file://"+page)...)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errs.String())
	}
	return out.String(), errs.String()
}

// The audit page, hostile values included, opened in headless Chromium: it parses into
// the table the template wrote (no cell or row injected), the failing rows are marked,
// nothing is refused by the Content-Security-Policy (the style sheet applies: the failed
// check's cell is painted red), and no script runs.
func TestAuditHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	var b bytes.Buffer
	if err := writeHTML(&b, reportTitle{"mcpverify audit", "servers"}, reportFixture(t)); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "audit.html")
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	dom, logs := runChromium(t, bin, page, "--dump-dom")
	if !strings.Contains(dom, `id="report"`) {
		t.Fatalf("chromium's DOM has no report table:\n%s", dom)
	}
	if n := strings.Count(dom, "<tr"); n != 6 {
		t.Errorf("DOM has %d rows, want 6 (a header and 5 results):\n%s", n, dom)
	}
	if n := strings.Count(dom, "<td"); n != 50 {
		t.Errorf("DOM has %d cells, want 50", n)
	}
	for _, want := range []string{
		`<tr class="fail" data-status="fail" data-verdict="NOT VERIFIED">`,
		`<tr class="fail" data-status="fail" data-verdict="INVALID">`,
		`<tr class="error" data-status="error" data-verdict="COULD NOT VERIFY">`,
		`<td class="check fail" data-check="signature" data-status="fail"`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("DOM lacks %s", want)
		}
	}
	if strings.Contains(dom, "<script") || strings.Contains(dom, "<img") {
		t.Errorf("hostile markup became elements:\n%s", dom)
	}
	if strings.Contains(logs, "Content Security Policy") || strings.Contains(logs, "Refused to") {
		t.Errorf("the page's policy refused something it needs:\n%s", logs)
	}

	shot := filepath.Join(t.TempDir(), "audit.png")
	runChromium(t, bin, page, "--screenshot="+shot, "--window-size=1400,900", "--hide-scrollbars")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	// td.check.fail is #cf222e: count its pixels (the style sheet ran under the policy).
	red := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 == 0xcf && g>>8 == 0x22 && b>>8 == 0x2e {
				red++
			}
		}
	}
	if red < 100 {
		t.Errorf("screenshot %dx%d has %d pixels of the failed-check colour, want a cell's worth", bounds.Dx(), bounds.Dy(), red)
	}
}
