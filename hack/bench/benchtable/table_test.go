package benchtable

import (
	"strings"
	"testing"
	"time"
)

func TestTable(t *testing.T) {
	var b strings.Builder
	tb := Table{W: &b, Tool: "mcpverify", N: 300, K: 30}
	tb.Header()
	tb.Ratio("met", time.Second, 100*time.Second, 0.02, true, true)
	if tb.Failed {
		t.Fatalf("0.010 ≤ 0.02 marked failed:\n%s", b.String())
	}
	tb.Ratio("info", 2*time.Second, time.Second, 0, false, false)
	tb.Info("floor", "1s")
	if tb.Failed {
		t.Fatalf("an info row failed the table:\n%s", b.String())
	}
	tb.Bound("bound", "2s", "≤ 1.5s", false)
	if !tb.Failed {
		t.Fatalf("a missed bound did not fail the table")
	}
	for _, want := range []string{
		"| metric (N=300) | mcpverify | reference |",
		"| met | 1s | 1m40s (K=30, extrapolated) | 0.010 | ≤ 0.02 | pass |",
		"| info | 2s | 1s | 2.000 | - | (info) |",
		"| bound | 2s | - | - | ≤ 1.5s | FAIL |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	missed := Table{W: &b, N: 1, K: 1}
	missed.Ratio("missed", 3*time.Second, 10*time.Second, 0.2, true, true)
	if !missed.Failed || !strings.Contains(b.String(), "| missed | 3s | 10s | 0.300 | ≤ 0.20 | FAIL |") {
		t.Errorf("missed ratio: failed=%v\n%s", missed.Failed, b.String())
	}
}
