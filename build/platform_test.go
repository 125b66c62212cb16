package build

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/catalog"
)

func TestParsePlatforms(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want []string
	}{
		{nil, nil},
		{[]string{"linux/amd64"}, []string{"linux/amd64"}},
		{[]string{"linux/arm64,linux/amd64"}, []string{"linux/amd64", "linux/arm64"}},
		{[]string{"linux/amd64", " linux/aarch64"}, []string{"linux/amd64", "linux/arm64"}},
		{[]string{"linux/arm64/v8", "linux/arm/v7"}, []string{"linux/arm/v7", "linux/arm64"}},
		{[]string{"Linux/x86_64"}, []string{"linux/amd64"}},
	} {
		got, err := ParsePlatforms(c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParsePlatforms(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	many := strings.Repeat("linux/amd64,", MaxPlatforms) + "linux/arm64"
	for in, want := range map[string]string{
		"":                           "empty platform",
		"linux/amd64,":               "empty platform",
		"linux":                      `platform "linux": want os/arch`,
		"amd64":                      `platform "amd64": want os/arch`,
		"linux/amd64,linux/x86_64":   `"linux/amd64" is given twice`,
		"linux/arm64/v8,linux/arm64": `"linux/arm64" is given twice`,
		"linux/amd64/v2/x":           `platform "linux/amd64/v2/x"`,
		"linux/$(id)":                `platform "linux/$(id)"`,
		many:                         "given twice",
	} {
		if _, err := ParsePlatforms([]string{in}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePlatforms(%q) = %v, want an error containing %q", in, err, want)
		}
	}
	var distinct []string
	for _, a := range []string{"amd64", "arm64", "386", "ppc64le", "s390x", "riscv64", "mips64le", "arm/v6", "arm/v7"} {
		distinct = append(distinct, "linux/"+a, "windows/"+a)
	}
	if _, err := ParsePlatforms(distinct); err == nil || !strings.Contains(err.Error(), "at most 16") {
		t.Errorf("ParsePlatforms(%d platforms) = %v, want at most %d", len(distinct), err, MaxPlatforms)
	}
}

func TestPlanPlatforms(t *testing.T) {
	s := &catalog.Server{Name: "a", Image: "mcp/a", Type: catalog.TypeServer,
		Source: catalog.Source{Project: "https://example.com/a.git", Commit: strings.Repeat("a", 40)}}
	so, err := Plan(s, PlanOptions{Registry: "registry.example.com"})
	if _, ok := so.FrontendAttrs["platform"]; err != nil || ok {
		t.Errorf("Plan without platforms: attrs %v, %v; want no platform (the daemon's)", so.FrontendAttrs, err)
	}
	so, err = Plan(s, PlanOptions{Registry: "registry.example.com", Platforms: []string{"linux/arm64", "linux/aarch64"}})
	if err == nil {
		t.Errorf("Plan(duplicate platforms) = %v, want an error", so.FrontendAttrs)
	}
	so, err = Plan(s, PlanOptions{Registry: "registry.example.com", Platforms: []string{"linux/arm64", "linux/x86_64"}})
	if err != nil || so.FrontendAttrs["platform"] != "linux/amd64,linux/arm64" {
		t.Errorf("Plan(two platforms) = %v, %v; want platform=linux/amd64,linux/arm64", so.FrontendAttrs, err)
	}
}

func TestIndexPlatforms(t *testing.T) {
	img, _ := name.NewDigest("127.0.0.1:15000/mcp/a@sha256:" + strings.Repeat("ab", 32))
	entry := func(arch, hex string) string {
		return `{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"sha256:` + strings.Repeat(hex, 64) +
			`","platform":{"os":"linux","architecture":"` + arch + `"}}`
	}
	index := func(e ...string) []byte {
		return []byte(`{"schemaVersion":2,"manifests":[` + strings.Join(e, ",") + `]}`)
	}
	want := []string{"linux/amd64", "linux/arm64"}
	got, err := indexPlatforms(index(entry("arm64", "1"), entry("amd64", "2")), img, want)
	if err != nil || len(got) != 2 || got[0].Platform != "linux/amd64" || got[0].Manifest.DigestStr() != "sha256:"+strings.Repeat("2", 64) ||
		got[1].Manifest.Context() != img.Context() {
		t.Errorf("indexPlatforms = %+v, %v", got, err)
	}
	for what, b := range map[string][]byte{
		"missing":     index(entry("amd64", "2")),
		"not asked":   index(entry("amd64", "2"), entry("arm64", "1"), entry("s390x", "3")),
		"twice":       index(entry("amd64", "2"), entry("amd64", "1")),
		"no platform": index(`{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"sha256:` + strings.Repeat("3", 64) + `"}`),
	} {
		if got, err := indexPlatforms(b, img, want); err == nil {
			t.Errorf("indexPlatforms(%s) = %+v, want an error", what, got)
		}
	}
}

func TestCombinePredicates(t *testing.T) {
	pred := func(arch, dep string) []byte {
		var p map[string]any
		if err := json.Unmarshal([]byte(predicateSample), &p); err != nil {
			t.Fatal(err)
		}
		bd := p["buildDefinition"].(map[string]any)
		bd["internalParameters"] = map[string]any{"targetPlatform": "linux/" + arch}
		bd["resolvedDependencies"] = append(bd["resolvedDependencies"].([]any), map[string]any{"uri": dep})
		p["runDetails"].(map[string]any)["metadata"].(map[string]any)["buildkit_metadata"] = map[string]any{"arch": arch}
		b, _ := json.Marshal(p)
		return b
	}
	b, err := combinePredicates(map[string][]byte{"linux/arm64": pred("arm64", "docker-image://base@arm"), "linux/amd64": pred("amd64", "docker-image://base@amd")})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		BuildDefinition struct {
			ExternalParameters   json.RawMessage                      `json:"externalParameters"`
			InternalParameters   map[string]map[string]map[string]any `json:"internalParameters"`
			ResolvedDependencies []struct{ URI string }               `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Metadata map[string]any `json:"metadata"`
		} `json:"runDetails"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, d := range got.BuildDefinition.ResolvedDependencies {
		uris = append(uris, d.URI)
	}
	if !slices.Equal(uris, []string{"git://h/r.git#01f5ff7bc2e2f390b14a0f2ada043d74648b787a", "docker-image://base@amd", "docker-image://base@arm"}) {
		t.Errorf("resolvedDependencies = %q, want the union in platform order", uris)
	}
	ip := got.BuildDefinition.InternalParameters["platforms"]
	if ip["linux/amd64"]["targetPlatform"] != "linux/amd64" || ip["linux/arm64"]["targetPlatform"] != "linux/arm64" {
		t.Errorf("internalParameters = %v", got.BuildDefinition.InternalParameters)
	}
	if !strings.Contains(string(got.BuildDefinition.ExternalParameters), "configSource") || got.RunDetails.Metadata["invocationId"] != "x" {
		t.Errorf("combined predicate lost the shared parts: %s", b)
	}
	src, err := ParseProvenanceSource([]byte(`{"predicateType":"https://slsa.dev/provenance/v1","predicate":` + string(b) + `}`))
	if err != nil || src.SHA1 != "01f5ff7bc2e2f390b14a0f2ada043d74648b787a" {
		t.Errorf("ParseProvenanceSource(combined) = %+v, %v", src, err)
	}
	other := strings.Replace(string(pred("arm64", "x")), `"frontend":"dockerfile.v0"`, `"frontend":"gateway.v0"`, 1)
	if _, err := combinePredicates(map[string][]byte{"linux/amd64": pred("amd64", "x"), "linux/arm64": []byte(other)}); err == nil ||
		!strings.Contains(err.Error(), "externalParameters") {
		t.Errorf("combinePredicates(different external parameters) = %v, want an error naming them", err)
	}
}
