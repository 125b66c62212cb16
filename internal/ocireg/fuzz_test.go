package ocireg

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// FuzzJSONChunks: a manifest is counted while it is read, in whatever chunks the network
// gives; the count must equal the count of the whole document at once, and the counting
// reader must refuse exactly the documents over MaxJSONValues.
func FuzzJSONChunks(f *testing.F) {
	for _, s := range []string{`{}`, `[{},{},{}]`, `{"a":"[{,,}]","b":[1,2]}`, `{"a":"\"[,","b":1}`, `{"a":"\\","b":[1,2,3]}`,
		`"just a string, [with] {}"`, `[[],[[]],{"":{}}]`, `[1,2`, `"\`} {
		f.Add([]byte(s), uint16(1), uint16(1))
		f.Add([]byte(s), uint16(7), uint16(MaxJSONValues/2))
	}
	f.Fuzz(func(t *testing.T, doc []byte, chunk, repeat uint16) {
		n := JSONValues(doc)
		s := jsonScanner{n: 1}
		r := iotest.HalfReader(bytes.NewReader(doc))
		buf := make([]byte, int(chunk)%64+1)
		for {
			k, err := r.Read(buf)
			s.scan(buf[:k])
			if err == io.EOF {
				break
			}
		}
		if s.n != n {
			t.Fatalf("read in chunks of %d, %q counts %d values, at once %d", len(buf), doc, s.n, n)
		}
		big := bytes.Repeat(doc, int(repeat)%(1<<16/(len(doc)+1)+1))
		_, err := io.ReadAll(&jsonCounter{r: bytes.NewReader(big), s: jsonScanner{n: 1}, what: "manifest"})
		if over := JSONValues(big) > MaxJSONValues; over != (err != nil) {
			t.Fatalf("counting reader on %d values: %v", JSONValues(big), err)
		}
	})
}
