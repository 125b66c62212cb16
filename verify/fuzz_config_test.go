package verify

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// FuzzConfig feeds an image reference's manifest (or index), the platform manifest and
// the config blob to config and the label check, through an in-memory registry serving
// them by digest. The inputs are templates: @CD@, @CS@ and @CB@ stand for the config's
// digest, size and base64, @MD@ and @MS@ for the platform manifest's digest and size (so
// that mutations keep the references right). A passing label check read the pin's label
// from a config reached by digest from the manifest (and, in an index, from the first
// linux/amd64 entry); a failing one (definite) read proven content; anything else is an
// error (could not check).
func FuzzConfig(f *testing.F) {
	fx := newFuzzFixture(f)
	label := func(v string) []byte {
		b, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux", "config": map[string]any{"Labels": map[string]string{catalog.RevisionLabel: v}},
			"rootfs": map[string]any{"type": "layers", "diff_ids": []string{}}})
		return b
	}
	img := func(data string) []byte {
		return []byte(`{"schemaVersion":2,"mediaType":"` + mediaOCIManifest + `","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":@CS@,"digest":"@CD@"` + data + `},"layers":[]}`)
	}
	index := func(entries ...string) []byte {
		return []byte(`{"schemaVersion":2,"mediaType":"` + mediaOCIIndex + `","manifests":[` + strings.Join(entries, ",") + `]}`)
	}
	entry := func(os, arch string) string {
		return `{"mediaType":"` + mediaOCIManifest + `","size":@MS@,"digest":"@MD@","platform":{"os":"` + os + `","architecture":"` + arch + `"}}`
	}
	for _, c := range []struct {
		top, child, config []byte
	}{
		{nil, img(""), label(verifytest.PinCommit)},
		{nil, img(`,"data":"@CB@"`), label(verifytest.PinCommit)},
		{nil, img(""), label(verifytest.OtherCommit)},
		{nil, img(""), []byte(`{"config":{}}`)},
		{nil, img(""), []byte(`not a config`)},
		{index(entry("linux", "arm64"), entry("linux", "amd64")), img(""), label(verifytest.PinCommit)},
		{index(entry("linux", "arm64")), img(""), label(verifytest.PinCommit)},
		{index(`{"mediaType":"` + mediaOCIIndex + `","size":@MS@,"digest":"@MD@","platform":{"os":"linux","architecture":"amd64"}}`), img(""), label(verifytest.PinCommit)},
	} {
		f.Add(c.top, c.child, c.config, uint8(1), uint8(0))
	}
	f.Fuzz(func(t *testing.T, top, child, config []byte, topType, childType uint8) {
		c, got, reached, why := fx.checkConfig(top, child, config, topType, childType)
		switch {
		case c.Status == StatusPass && (!reached || got != verifytest.PinCommit):
			t.Fatalf("label passes, but %s (label %q): %+v", why, got, c)
		case c.Status == StatusFail && !reached && why != "no linux/amd64 entry":
			t.Fatalf("label fails (definite), but %s: %+v", why, c)
		case c.Status != StatusPass && c.Status != StatusFail && c.Status != StatusError && c.Status != "":
			t.Fatalf("label check %+v", c)
		}
	})
}

// checkConfig runs the label check of FuzzConfig's templates (a zero Check when the
// reference's manifest is refused) and configOracle.
func (fx *fuzzFixture) checkConfig(top, child, config []byte, topType, childType uint8) (c Check, label string, reached bool, why string) {
	child = []byte(strings.NewReplacer("@CD@", sha256Of(config).String(), "@CS@", fmt.Sprint(len(config)),
		"@CB@", base64.StdEncoding.EncodeToString(config)).Replace(string(child)))
	top = []byte(strings.NewReplacer("@MD@", sha256Of(child).String(), "@MS@", fmt.Sprint(len(child))).Replace(string(top)))
	childCT := fuzzContentTypes[int(childType)%len(fuzzContentTypes)]
	topCT := fuzzContentTypes[int(topType)%len(fuzzContentTypes)]
	if len(top) == 0 {
		top, topCT = child, childCT
	}
	m, err := decodeManifest(top, topCT, acceptImageRef)
	if err != nil {
		return Check{}, "", false, "refused"
	}
	m.Digest = sha256Of(top)
	fx.reg.set(fx.repo, memItem{childCT, child}, memItem{"", config})
	cfg, err := fx.regV.config(fuzzCtx(), fx.repo, m)
	label, reached, why = configOracle(top, topCT, child, childCT, config)
	return labelCheck(cfg, err, verifytest.PinCommit), label, reached, why
}

// oIndexEntry is an entry of an index.
type oIndexEntry struct {
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
	Digest    string `json:"digest"`
	Platform  *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform"`
}

// configOracle follows the reference from top (served as topCT) to the config as doc.go
// says verify must: in an index, the first linux/amd64 entry, which must be child by
// digest, size and media type; the manifest's config, embedded (hashing to its digest,
// of its size) or the blob config by digest and size. It returns the revision label of
// the config reached (read with encoding/json), whether one was reached, and else why.
func configOracle(top []byte, topCT string, child []byte, childCT string, config []byte) (label string, reached bool, why string) {
	mt := func(ct string) string { s, _, _ := strings.Cut(ct, ";"); return strings.TrimSpace(s) }
	image := top
	if t := mt(topCT); t == mediaOCIIndex || t == mediaDockerList {
		var idx struct {
			Manifests []oIndexEntry `json:"manifests"`
		}
		if err := json.Unmarshal(top, &idx); err != nil {
			return "", false, "the index is not JSON"
		}
		i := slices.IndexFunc(idx.Manifests, func(d oIndexEntry) bool {
			return d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == "amd64"
		})
		if i < 0 {
			return "", false, "no linux/amd64 entry"
		}
		d := idx.Manifests[i]
		if d.Digest != sha256Of(child).String() || d.Size != int64(len(child)) || d.MediaType != "" && d.MediaType != mt(childCT) {
			return "", false, "the linux/amd64 entry is not the manifest served"
		}
		image = child
	}
	var im struct {
		Config struct {
			Size   int64  `json:"size"`
			Digest string `json:"digest"`
			Data   []byte `json:"data"`
		} `json:"config"`
	}
	if err := json.Unmarshal(image, &im); err != nil {
		return "", false, "the manifest is not JSON"
	}
	content, c := config, im.Config
	if len(c.Data) > 0 {
		content = c.Data
	}
	if c.Digest != sha256Of(content).String() || c.Size != int64(len(content)) {
		return "", false, "the config is not the one the manifest names"
	}
	var cfg struct {
		Config struct {
			Labels map[string]string `json:"Labels"`
		} `json:"config"`
	}
	if err := json.Unmarshal(content, &cfg); err != nil {
		return "", true, "the config is not JSON"
	}
	return cfg.Config.Labels[catalog.RevisionLabel], true, "label"
}
