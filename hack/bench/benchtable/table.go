// Package benchtable prints the benchmarks' Markdown tables of goals: metric, the tool's
// number, the reference's, their ratio, the goal and pass/FAIL.
package benchtable

import (
	"fmt"
	"io"
	"time"
)

// Table writes rows to W. Tool names the measured column; N is the size measured, K the
// sample of it the reference ran on (K < N: the reference was extrapolated). Failed says
// whether a checked row missed its goal.
type Table struct {
	W      io.Writer
	Tool   string
	N, K   int
	Failed bool
}

// Header writes the header row.
func (t *Table) Header() {
	fmt.Fprintf(t.W, "| metric (N=%d) | %s | reference | ratio | goal | result |\n|---|---|---|---|---|---|\n", t.N, t.Tool)
}

// Ratio writes got/ref; checked: against goal (≤). sampled: ref was extrapolated from K.
func (t *Table) Ratio(metric string, got, ref time.Duration, goal float64, checked, sampled bool) {
	r := float64(got) / float64(ref)
	refS := ref.Round(time.Millisecond).String()
	if sampled && t.K < t.N {
		refS += fmt.Sprintf(" (K=%d, extrapolated)", t.K)
	}
	goalS, res := "-", "(info)"
	if checked {
		goalS, res = fmt.Sprintf("≤ %.2f", goal), verdict(r <= goal)
		t.Failed = t.Failed || r > goal
	}
	fmt.Fprintf(t.W, "| %s | %s | %s | %.3f | %s | %s |\n", metric, got.Round(time.Millisecond), refS, r, goalS, res)
}

// Bound writes a row checked against a goal that is not a ratio.
func (t *Table) Bound(metric, got, goal string, ok bool) {
	t.Failed = t.Failed || !ok
	fmt.Fprintf(t.W, "| %s | %s | - | - | %s | %s |\n", metric, got, goal, verdict(ok))
}

// Info writes a row with no goal.
func (t *Table) Info(metric, got string) {
	fmt.Fprintf(t.W, "| %s | %s | - | - | - | (info) |\n", metric, got)
}

func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}
