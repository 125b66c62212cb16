package ocireg

import (
	"strings"
	"testing"
)

// What Decode takes as a manifest, and what it refuses (naming why).
func TestDecode(t *testing.T) {
	const (
		cfg   = `"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}`
		layer = `{"mediaType":"x","size":1,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}`
	)
	for _, c := range []struct {
		name, body, ct string
		acc            Accept
		want           string // "" accepted; else a substring of the error
	}{
		{"OCI manifest", `{"schemaVersion":2,"mediaType":"` + MediaOCIManifest + `",` + cfg + `,"layers":[` + layer + `]}`, MediaOCIManifest, AcceptImage, ""},
		{"OCI manifest without mediaType", `{"schemaVersion":2,` + cfg + `,"layers":[]}`, MediaOCIManifest, AcceptImage, ""},
		{"Content-Type with a parameter", `{"schemaVersion":2,` + cfg + `,"layers":[]}`, MediaOCIManifest + "; charset=utf-8", AcceptImage, ""},
		{"OCI index", `{"schemaVersion":2,"mediaType":"` + MediaOCIIndex + `","manifests":[` + layer + `]}`, MediaOCIIndex, AcceptImageRef, ""},
		{"Docker manifest without mediaType", `{"schemaVersion":2,` + cfg + `,"layers":[]}`, MediaDockerManifest, AcceptImage, "required for"},
		{"no Content-Type", `{"schemaVersion":2,` + cfg + `}`, "", AcceptImage, "no Content-Type"},
		{"schema1", `{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}`, "application/vnd.docker.distribution.manifest.v1+json", AcceptImageRef, "schema1"},
		{"index where a manifest is expected", `{"schemaVersion":2,"manifests":[]}`, MediaOCIIndex, AcceptImage, "not accepted"},
		{"body mediaType of another kind", `{"schemaVersion":2,"mediaType":"` + MediaOCIIndex + `",` + cfg + `}`, MediaOCIManifest, AcceptImage, "does not match Content-Type"},
		{"schemaVersion 1", `{"schemaVersion":1,` + cfg + `}`, MediaOCIManifest, AcceptImage, "schemaVersion"},
		{"no schemaVersion", `{` + cfg + `}`, MediaOCIManifest, AcceptImage, "schemaVersion"},
		{"manifest and index at once", `{"schemaVersion":2,` + cfg + `,"manifests":[]}`, MediaOCIManifest, AcceptImage, "no \"manifests\""},
		{"index with a config", `{"schemaVersion":2,` + cfg + `,"manifests":[]}`, MediaOCIIndex, AcceptImageRef, "no \"config\""},
		{"manifest without config", `{"schemaVersion":2,"layers":[]}`, MediaOCIManifest, AcceptImage, "must have a \"config\""},
		{"layer without digest", `{"schemaVersion":2,` + cfg + `,"layers":[{"mediaType":"x","size":1}]}`, MediaOCIManifest, AcceptImage, "no digest"},
		{"malformed digest", `{"schemaVersion":2,` + strings.Replace(cfg, "sha256:44", "sha256:4", 1) + `}`, MediaOCIManifest, AcceptImage, "parsing manifest"},
		{"trailing garbage", `{"schemaVersion":2,` + cfg + `}x`, MediaOCIManifest, AcceptImage, "not a JSON manifest"},
		{"HTML", `<html></html>`, "text/html", AcceptImageRef, "text/html is not accepted"},
		{"HTML as a manifest", `<html></html>`, MediaOCIManifest, AcceptImage, "not a JSON manifest"},
	} {
		m, err := Decode([]byte(c.body), c.ct, c.acc)
		switch {
		case c.want == "" && (err != nil || m.Image == nil && m.Index == nil):
			t.Errorf("%s: %v; want accepted", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v; want one naming %q", c.name, err, c.want)
		}
	}
}
