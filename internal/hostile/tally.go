package hostile

import (
	"fmt"
	"sort"
	"strings"
)

// Tally is a count of registry requests by "METHOD kind", for tests that pin how many
// requests an operation makes.
type Tally map[string]int

// TallyOf counts entries by method and kind of path: "ping" (/v2/), "sig" (a manifest
// under a sha256-<hex> tag: a .sig or .att), "manifest" (any other manifest), "upload"
// (a blob upload) or "blob".
func TallyOf(entries []Entry) Tally {
	out := Tally{}
	for _, e := range entries {
		kind := "ping"
		switch {
		case strings.Contains(e.Path, "/manifests/sha256-"):
			kind = "sig"
		case strings.Contains(e.Path, "/manifests/"):
			kind = "manifest"
		case strings.Contains(e.Path, "/blobs/uploads/"):
			kind = "upload"
		case strings.Contains(e.Path, "/blobs/"):
			kind = "blob"
		}
		out[e.Method+" "+kind]++
	}
	return out
}

// String lists the counts sorted, "GET sig=6 PUT sig=2": two tallies are equal when their
// strings are.
func (t Tally) String() string {
	out := make([]string, 0, len(t))
	for k, n := range t {
		if n != 0 {
			out = append(out, fmt.Sprintf("%s=%d", k, n))
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
