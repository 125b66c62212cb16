package verify

import (
	"strings"
	"testing"
)

// What decodeManifest takes as a manifest, and what it refuses (naming why).
func TestDecodeManifest(t *testing.T) {
	const (
		cfg   = `"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}`
		layer = `{"mediaType":"x","size":1,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}`
	)
	for _, c := range []struct {
		name, body, ct string
		acc            accept
		want           string // "" accepted; else a substring of the error
	}{
		{"OCI manifest", `{"schemaVersion":2,"mediaType":"` + mediaOCIManifest + `",` + cfg + `,"layers":[` + layer + `]}`, mediaOCIManifest, acceptImage, ""},
		{"OCI manifest without mediaType", `{"schemaVersion":2,` + cfg + `,"layers":[]}`, mediaOCIManifest, acceptImage, ""},
		{"Content-Type with a parameter", `{"schemaVersion":2,` + cfg + `,"layers":[]}`, mediaOCIManifest + "; charset=utf-8", acceptImage, ""},
		{"OCI index", `{"schemaVersion":2,"mediaType":"` + mediaOCIIndex + `","manifests":[` + layer + `]}`, mediaOCIIndex, acceptImageRef, ""},
		{"Docker manifest without mediaType", `{"schemaVersion":2,` + cfg + `,"layers":[]}`, mediaDockerManifest, acceptImage, "required for"},
		{"no Content-Type", `{"schemaVersion":2,` + cfg + `}`, "", acceptImage, "no Content-Type"},
		{"schema1", `{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}`, "application/vnd.docker.distribution.manifest.v1+json", acceptImageRef, "schema1"},
		{"index where a manifest is expected", `{"schemaVersion":2,"manifests":[]}`, mediaOCIIndex, acceptImage, "not accepted"},
		{"body mediaType of another kind", `{"schemaVersion":2,"mediaType":"` + mediaOCIIndex + `",` + cfg + `}`, mediaOCIManifest, acceptImage, "does not match Content-Type"},
		{"schemaVersion 1", `{"schemaVersion":1,` + cfg + `}`, mediaOCIManifest, acceptImage, "schemaVersion"},
		{"no schemaVersion", `{` + cfg + `}`, mediaOCIManifest, acceptImage, "schemaVersion"},
		{"manifest and index at once", `{"schemaVersion":2,` + cfg + `,"manifests":[]}`, mediaOCIManifest, acceptImage, "no \"manifests\""},
		{"index with a config", `{"schemaVersion":2,` + cfg + `,"manifests":[]}`, mediaOCIIndex, acceptImageRef, "no \"config\""},
		{"manifest without config", `{"schemaVersion":2,"layers":[]}`, mediaOCIManifest, acceptImage, "must have a \"config\""},
		{"layer without digest", `{"schemaVersion":2,` + cfg + `,"layers":[{"mediaType":"x","size":1}]}`, mediaOCIManifest, acceptImage, "no digest"},
		{"malformed digest", `{"schemaVersion":2,` + strings.Replace(cfg, "sha256:44", "sha256:4", 1) + `}`, mediaOCIManifest, acceptImage, "parsing manifest"},
		{"trailing garbage", `{"schemaVersion":2,` + cfg + `}x`, mediaOCIManifest, acceptImage, "not a JSON manifest"},
		{"HTML", `<html></html>`, "text/html", acceptImageRef, "text/html is not accepted"},
		{"HTML as a manifest", `<html></html>`, mediaOCIManifest, acceptImage, "not a JSON manifest"},
	} {
		m, err := decodeManifest([]byte(c.body), c.ct, c.acc)
		switch {
		case c.want == "" && (err != nil || m.image == nil && m.index == nil):
			t.Errorf("%s: %v; want accepted", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v; want one naming %q", c.name, err, c.want)
		}
	}
}
