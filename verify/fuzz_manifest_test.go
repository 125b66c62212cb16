package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// The accept lists of verify's reads, and the Content-Types the targets serve.
var (
	fuzzAccepts      = []accept{acceptImageRef, acceptImage, acceptReferrers, acceptReferrer}
	fuzzContentTypes = []string{mediaOCIManifest, mediaOCIIndex, mediaDockerManifest, mediaDockerList,
		"application/vnd.docker.distribution.manifest.v1+prettyjws", "text/html; charset=utf-8"}
	digestRE = regexp.MustCompile(`^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$`)
)

// oManifest is a manifest or index, its fields kept raw (nil: absent).
type oManifest struct {
	SchemaVersion json.RawMessage `json:"schemaVersion"`
	MediaType     json.RawMessage `json:"mediaType"`
	Config        json.RawMessage `json:"config"`
	Layers        json.RawMessage `json:"layers"`
	Manifests     json.RawMessage `json:"manifests"`
}

func present(r json.RawMessage) bool { return r != nil && string(r) != "null" }

// digestsOf returns the digests of a descriptor list.
func digestsOf(raw json.RawMessage) []string {
	var ds []struct {
		Digest string `json:"digest"`
	}
	_ = json.Unmarshal(raw, &ds)
	var out []string
	for _, d := range ds {
		out = append(out, d.Digest)
	}
	return out
}

// manifestWrong says why raw, served as contentType, is not a manifest of a type in acc
// (exactly as doc.go states the rules); "" when it is one. m is what decodeManifest made.
func manifestWrong(raw []byte, contentType string, acc accept, m *manifest) string {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	var o oManifest
	if !slices.Contains(acc, mt) {
		return "media type " + mt + " is not accepted"
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return "not JSON: " + err.Error()
	}
	var body string
	if present(o.MediaType) && json.Unmarshal(o.MediaType, &body) != nil {
		return "body mediaType is not a string"
	}
	index := mt == mediaOCIIndex || mt == mediaDockerList
	switch {
	case string(o.SchemaVersion) != "2":
		return "schemaVersion " + string(o.SchemaVersion)
	case present(o.MediaType) && body != mt:
		return "body mediaType " + body
	case !present(o.MediaType) && strings.HasPrefix(mt, "application/vnd.docker."):
		return "a Docker manifest without mediaType"
	case m.MediaType != mt || (m.Index != nil) != index || (m.Image != nil) == index:
		return fmt.Sprintf("decoded as %s (index %v), served as %s", m.MediaType, m.Index != nil, mt)
	case index && (!present(o.Manifests) || present(o.Config) || present(o.Layers)):
		return "an index needs manifests and no config or layers"
	case !index && (!present(o.Config) || present(o.Manifests)):
		return "a manifest needs a config and no manifests"
	}
	var want, got []string
	if index {
		want = digestsOf(o.Manifests)
		for _, d := range m.Index.Manifests {
			got = append(got, d.Digest.String())
		}
	} else {
		want = append(digestsOf(append(append([]byte("["), o.Config...), ']')), digestsOf(o.Layers)...)
		got = append(got, m.Image.Config.Digest.String())
		for _, d := range m.Image.Layers {
			got = append(got, d.Digest.String())
		}
	}
	for _, d := range want {
		if !digestRE.MatchString(d) {
			return "descriptor digest " + d
		}
	}
	if !slices.Equal(want, got) {
		return fmt.Sprintf("decoded descriptors %v, the document has %v", got, want)
	}
	return ""
}

// FuzzDecodeManifest feeds manifests (as a registry serves them: bytes and Content-Type)
// to decodeManifest with each accept list verify reads with (image reference, .sig/.att
// and platform manifests, referrers index, referrer). An accepted one is a manifest of an
// accepted type by the rules doc.go states, checked here on the raw JSON, and decodes to
// the descriptors the document lists.
func FuzzDecodeManifest(f *testing.F) {
	fx := newFuzzFixture(f)
	for _, s := range manifestSeeds(fx) {
		for i := range fuzzContentTypes {
			f.Add(s, fuzzContentTypes[i], uint8(i))
		}
	}
	f.Add([]byte(`{"schemaVersion":2,"SchemaVersion":1,"config":{"digest":"sha256:`+strings.Repeat("0", 64)+`"}}`), mediaOCIManifest+"; charset=utf-8", uint8(1))
	f.Add([]byte(`{"schemaVersion":2.0,"config":{}}`), " APPLICATION/vnd.oci.image.manifest.v1+json ", uint8(1))
	f.Fuzz(func(t *testing.T, raw []byte, contentType string, which uint8) {
		acc := fuzzAccepts[int(which)%len(fuzzAccepts)]
		m, err := decodeManifest(raw, contentType, acc)
		if err != nil {
			return // what it returns with an error is not used (getManifest)
		}
		if why := manifestWrong(raw, contentType, acc, m); why != "" {
			t.Fatalf("accepted %q (%s) with %v: %s", raw, contentType, acc, why)
		}
		if m.Image != nil {
			im, err := imageOf(m, "manifest")
			if over := jsonValues(raw) > MaxJSONValues; over != (err != nil) || err == nil && im != m.Image {
				t.Fatalf("imageOf = %v, %v (over the JSON value limit: %v)", im, err, over)
			}
		}
	})
}

// manifestSeeds are manifests verify reads (a .sig manifest as publish writes it, an
// image, a multi-platform index, a referrers index and a referrer), and hostile ones.
func manifestSeeds(fx *fuzzFixture) [][]byte {
	d := func(n byte) string { return "sha256:" + strings.Repeat(string("0123456789abcdef"[n%16]), 64) }
	cfg := `"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"` + d(1) + `"}`
	sig, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mediaOCIManifest,
		"config": json.RawMessage(cfg[len(`"config":`):]), "layers": []any{fx.sigLayer.Desc, fx.attLayer.Desc}})
	return [][]byte{
		sig,
		[]byte(`{"schemaVersion":2,"mediaType":"` + mediaDockerManifest + `",` + cfg + `,"layers":[{"mediaType":"x","size":1,"digest":"` + d(2) + `"}]}`),
		[]byte(`{"schemaVersion":2,"mediaType":"` + mediaOCIIndex + `","manifests":[{"mediaType":"` + mediaOCIManifest + `","size":7,"digest":"` + d(3) + `","platform":{"os":"linux","architecture":"amd64"}},{"mediaType":"` + mediaOCIManifest + `","size":7,"digest":"` + d(4) + `","platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}`),
		[]byte(`{"schemaVersion":2,"mediaType":"` + mediaDockerList + `","manifests":[]}`),
		[]byte(`{"schemaVersion":2,"mediaType":"` + mediaOCIIndex + `","manifests":[{"mediaType":"` + mediaOCIManifest + `","size":9,"digest":"` + d(5) + `","artifactType":"` + verifytest.BundleMediaType + `"}]}`),
		[]byte(`{"schemaVersion":2,"mediaType":"` + mediaOCIManifest + `","artifactType":"` + verifytest.BundleMediaType + `",` + cfg + `,"layers":[{"mediaType":"` + verifytest.BundleMediaType + `","size":3,"digest":"` + d(6) + `"}],"subject":{"mediaType":"` + mediaOCIManifest + `","size":1,"digest":"` + fx.digest.String() + `"},"annotations":{"dev.sigstore.bundle.predicateType":"x"}}`),
		[]byte(`{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[{"blobSum":"` + d(7) + `"}]}`),
		[]byte(`{"schemaVersion":2,` + cfg + `,"manifests":[],"layers":null}`),
		[]byte(`{"schemaVersion":2,"config":null,"layers":[{}]}`),
		[]byte(`{"schemaVersion":2,` + cfg + `,"layers":[{"digest":"sha512:` + strings.Repeat("a", 128) + `","size":-1,"data":"AA=="}]}`),
		[]byte(`{"schemaVersion":2,` + cfg + `,"layers":[{"digest":"SHA256:` + strings.Repeat("A", 64) + `"}]}`),
		[]byte(`<html><body>502 Bad Gateway</body></html>`),
		[]byte(`{"schemaVersion":2,` + cfg + `} {"manifests":[]}`),
		[]byte(`[` + strings.Repeat(`{},`, 200) + `{}]`),
	}
}

// FuzzJSONValues checks the JSON value bound of budget.go (jsonValues, the scanner that
// counts a manifest while it is read, chargeJSON and the budget): for valid JSON the
// bound is exactly the values plus the empty containers (counted with encoding/json's
// tokenizer), whatever the chunks read; a document over MaxJSONValues (the input
// repeated in an array, to reach it) or over the budget is refused, and nothing else is.
func FuzzJSONValues(f *testing.F) {
	for _, s := range []string{`{}`, `[{},{},{}]`, `{"a":"[{,,}]","b":[1,2]}`, `{"a":"\"[,","b":1}`, `{"a":"\\","b":[1,2,3]}`,
		`"just a string, [with] {}"`, `[[],[[]],{"":{}}]`, `{"a":"\u005c\"[","b":[true,false,null]}`, `[1,2`, `"\`, `{"a":,}`} {
		f.Add([]byte(s), uint16(1), uint16(1), uint32(0))
		f.Add([]byte(s), uint16(3), uint16(MaxJSONValues/4), uint32(MaxImageBytes-1<<20))
	}
	f.Fuzz(func(t *testing.T, doc []byte, chunk, repeat uint16, used uint32) {
		n := jsonValues(doc)
		inString := jsonEndsInString(doc) // ocireg FuzzJSONChunks checks reading in chunks
		if json.Valid(doc) {
			if values, empty := countJSON(t, doc); n != values+empty {
				t.Fatalf("%q: jsonValues = %d, has %d values and %d empty containers", doc, n, values, empty)
			}
		}
		// The document repeated, to reach the limit: [doc,doc,...,doc].
		times := int(repeat) % (1<<16/(len(doc)+1) + 1) // at most 64 KiB: 32768 values of "0"
		big := append(bytes.Repeat(append(slices.Clone(doc), ','), times), '0')
		big = append(append([]byte("["), big...), ']')
		want := 2 + times*(n-1) + times // the array and its last element, each copy's values, the commas
		if got := jsonValues(big); inString {
			want = got // the copies are one string: not additive
		} else if got != want {
			t.Fatalf("%d copies of %q: jsonValues = %d, want %d", times, doc, got, want)
		}
		ctx := fuzzCtx()
		pre := int64(used) % MaxImageBytes
		if err := budgetOf(ctx).charge(pre, "earlier reads"); err != nil {
			t.Fatal(err)
		}
		err := chargeJSON(ctx, big, 0, "document")
		cost := pre + int64(len(big)) + int64(want)*jsonValueCost
		if refuse := want > MaxJSONValues || cost > MaxImageBytes; refuse != (err != nil) || err != nil && !isTransport(err) {
			t.Fatalf("chargeJSON(%d values, %d bytes, %d used) = %v", want, len(big), pre, err)
		}
	})
}

// countJSON counts the values of a valid JSON document (keys are not values) and its
// empty objects and arrays, with encoding/json's tokenizer.
func countJSON(t *testing.T, doc []byte) (values, empty int) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	next := func() json.Token {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("tokenizing valid JSON %q: %v", doc, err)
		}
		return tok
	}
	var value func()
	value = func() {
		values++
		open := next()
		if open != json.Delim('{') && open != json.Delim('[') {
			return
		}
		n := 0
		for ; dec.More(); n++ {
			if open == json.Delim('{') {
				next() // a key
			}
			value()
		}
		next() // the closing delimiter
		if n == 0 {
			empty++
		}
	}
	value()
	return values, empty
}
