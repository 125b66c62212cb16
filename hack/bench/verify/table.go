package main

import (
	"fmt"
	"time"
)

// table prints the Markdown table: metric, mcpverify, reference, ratio, goal, result.
type table struct {
	n, k   int
	failed bool
}

func (t *table) header() {
	fmt.Printf("| metric (N=%d) | mcpverify | reference | ratio | goal | result |\n|---|---|---|---|---|---|\n", t.n)
}

// ratio prints got/ref; checked: against goal (≤). sampled: ref was extrapolated.
func (t *table) ratio(metric string, got, ref time.Duration, goal float64, checked, sampled bool) {
	r := float64(got) / float64(ref)
	refS := ref.Round(time.Millisecond).String()
	if sampled && t.k < t.n {
		refS += fmt.Sprintf(" (K=%d, extrapolated)", t.k)
	}
	goalS, res := "-", "(info)"
	if checked {
		goalS, res = fmt.Sprintf("≤ %.2f", goal), verdict(r <= goal)
		t.failed = t.failed || r > goal
	}
	fmt.Printf("| %s | %s | %s | %.3f | %s | %s |\n", metric, got.Round(time.Millisecond), refS, r, goalS, res)
}

func (t *table) bound(metric, got, goal string, ok bool) {
	t.failed = t.failed || !ok
	fmt.Printf("| %s | %s | - | - | %s | %s |\n", metric, got, goal, verdict(ok))
}

func (t *table) info(metric, got string) {
	fmt.Printf("| %s | %s | - | - | - | (info) |\n", metric, got)
}

func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}
