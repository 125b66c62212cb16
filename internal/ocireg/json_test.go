package ocireg

import "testing"

func TestJSONValues(t *testing.T) {
	for doc, want := range map[string]int{
		`{}`:                         2,
		`[{},{},{}]`:                 7, // an upper bound: the document and each container count too
		`{"a":"[{,,}]","b":[1,2]}`:   5, // brackets and commas in strings do not count
		`{"a":"\"[,","b":1}`:         3, // nor after an escaped quote
		`{"a":"\\","b":[1,2,3]}`:     6, // an escaped backslash ends before the quote
		`"just a string, [with] {}"`: 1,
	} {
		if got := JSONValues([]byte(doc)); got != want {
			t.Errorf("JSONValues(%s) = %d, want %d", doc, got, want)
		}
		// Chunk boundaries do not matter (a manifest is counted while it is read).
		s := jsonScanner{n: 1}
		for i := range len(doc) {
			s.scan([]byte{doc[i]})
		}
		if s.n != want {
			t.Errorf("byte by byte, %s counts %d, want %d", doc, s.n, want)
		}
	}
}
