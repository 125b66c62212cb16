package trust_test

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/trust"
	"github.com/mcpbuild/mcpbuild/verify"
)

const head = "apiVersion: mcpbuild.dev/v1alpha1\nkind: TrustPolicy\n"

const okPublisher = `publishers:
  - name: mcp
    trustLevel: official
    keys: [a.pub]
    images: ["mcp/*"]
    transparencyLog: {publicKey: rekor.pub}
`

// Each bad file gives its diagnostics, every one at its path:line:col.
func TestParseRejects(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // each an error line, in order
	}{
		{"empty", "", []string{"p.yaml:1:1: empty file: want a TrustPolicy document"}},
		{"not yaml", "a: [", []string{"p.yaml:1:1: not YAML: "}},
		{"not a mapping", "- 1\n", []string{"p.yaml:1:1: want a mapping, got a list"}},
		{"no header", okPublisher, []string{"p.yaml:1:1: apiVersion: required (mcpbuild.dev/v1alpha1)", "p.yaml:1:1: kind: required (TrustPolicy)"}},
		{"other version", "apiVersion: mcpbuild.dev/v2\nkind: TrustPolicy\n" + okPublisher,
			[]string{"p.yaml:1:13: apiVersion: unsupported version \"mcpbuild.dev/v2\" (this version reads mcpbuild.dev/v1alpha1)"}},
		{"other kind", "apiVersion: mcpbuild.dev/v1alpha1\nkind: Policy\n" + okPublisher, []string{`p.yaml:2:7: kind: kind "Policy" is not TrustPolicy`}},
		{"unknown top", head + "extra: 1\n" + okPublisher, []string{"p.yaml:3:1: extra: unknown field (known: apiVersion, kind, publishers, transparencyLog)"}},
		{"no publishers", head, []string{"p.yaml:1:1: publishers: required: at least one publisher"}},
		{"empty publishers", head + "publishers: []\n", []string{"p.yaml:3:13: publishers: want a non-empty list of publishers, got a list"}},
		{"publisher fields", head + "publishers:\n  - name: x\n    trustLevel: trusted\n    keys: []\n    images: [\"MCP/x\"]\n    color: red\n",
			[]string{
				"p.yaml:4:5: publishers[0].transparencyLog: required, here or at the top level",
				`p.yaml:5:17: publishers[0].trustLevel: "trusted" is not a trust level (official, verified or community)`,
				"p.yaml:6:11: publishers[0].keys: must not be empty",
				`p.yaml:7:14: publishers[0].images[0]: image pattern "MCP/x": only lowercase`,
				"p.yaml:8:5: publishers[0].color: unknown field",
			}},
		{"missing fields", head + "publishers:\n  - name: x\n    transparencyLog: {insecureIgnore: true}\n",
			[]string{"p.yaml:4:5: publishers[0].trustLevel: required", "p.yaml:4:5: publishers[0].keys: required", "p.yaml:4:5: publishers[0].images: required"}},
		{"wrong kinds", head + "publishers:\n  - name: [x]\n    trustLevel: official\n    keys: a.pub\n    images: [1]\n    requirements: {signedRevision: yes please, provenance: always}\n    transparencyLog: {publicKey: r.pub, url: ftp://x}\n",
			[]string{
				"p.yaml:4:11: publishers[0].name: want a string, got a list",
				"p.yaml:6:11: publishers[0].keys: want a list, got a string",
				"p.yaml:7:14: publishers[0].images[0]: want a string, got int 1",
				"p.yaml:8:36: publishers[0].requirements.signedRevision: want true or false, got a string",
				`p.yaml:8:60: publishers[0].requirements.provenance: "always" is not one of required, optional, skip`,
				"p.yaml:9:22: publishers[0].transparencyLog: give exactly one of publicKey, trustedRoot, url, insecureIgnore (got 2)",
				`p.yaml:9:46: publishers[0].transparencyLog.url: "ftp://x" is not an http(s) URL`,
			}},
		{"duplicate and tie", head + "transparencyLog: {url: \"https://rekor.example\"}\npublishers:\n" +
			"  - {name: a, trustLevel: official, keys: [a.pub], images: [\"mcp/*\"]}\n" +
			"  - {name: a, trustLevel: community, keys: [b.pub], images: [\"mcp/**\", \"mcp/x\"]}\n",
			[]string{
				`p.yaml:6:5: publishers[1].name: "a" is also the name of publishers[0] (line 5)`,
				`p.yaml:6:62: publishers[1].images[0]: "mcp/**" is as specific as "mcp/*" of publisher "a" (p.yaml:5:61)`,
			}},
		{"hostile patterns", head + "publishers:\n  - {name: a, trustLevel: official, keys: [a.pub], transparencyLog: {insecureIgnore: true}, images: [\"mcp**\", \"nginx\", \"mcp/../acme/*\", \"mcp/x**\"]}\n",
			[]string{
				`p.yaml:4:102: publishers[0].images[0]: image pattern "mcp**": '**' only as a whole path segment`,
				`p.yaml:4:111: publishers[0].images[1]: image pattern "nginx": one path segment without a registry is ambiguous`,
				`p.yaml:4:120: publishers[0].images[2]: image pattern "mcp/../acme/*": path segment ".."`,
				`p.yaml:4:137: publishers[0].images[3]: image pattern "mcp/x**": '**' only as a whole path segment`,
			}},
		{"plain http log", head + "transparencyLog: {url: \"http://rekor.example\"}\n" + okPublisher,
			[]string{`p.yaml:3:24: transparencyLog.url: "http://rekor.example": the log key would be fetched in plaintext`}},
		{"too many keys", head + strings.Replace(okPublisher, "keys: [a.pub]", "keys: [a, b, c, d, e, f, g, h, i]", 1),
			[]string{"p.yaml:6:11: publishers[0].keys: 9 keys, at most 8"}},
		{"too many publishers", head + "publishers:\n" + manyPublishers(65),
			[]string{"p.yaml:4:3: publishers: 65 publishers, at most 64"}},
		{"repeated key", head + okPublisher + "publishers: []\n", []string{"p.yaml:9:1: publishers: repeated key"}},
		{"alias", head + "x: &a 1\n" + okPublisher, []string{"p.yaml:3:1: x: unknown field"}},
		{"anchor", head + "transparencyLog: &t {insecureIgnore: true}\n" + okPublisher, []string{"p.yaml:3:18: transparencyLog: anchors and aliases are not allowed"}},
		{"two documents", head + okPublisher + "---\na: 1\n", []string{"p.yaml:9:1: one YAML document expected"}},
		{"bad sig repo", head + strings.Replace(okPublisher, "    keys:", "    signaturesRepository: \"Bad Repo\"\n    keys:", 1),
			[]string{"p.yaml:6:27: publishers[0].signaturesRepository: "}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := trust.Parse("p.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatal("Parse accepted the file")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(c.want) {
				t.Fatalf("%d errors, want %d:\n%v", len(lines), len(c.want), err)
			}
			for i, w := range c.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("error %d = %q, want it to start with %q", i, lines[i], w)
				}
			}
			var d *catalog.Diagnostic
			if !errors.As(err, &d) || d.Line == 0 {
				t.Errorf("error is not a located *catalog.Diagnostic: %#v", err)
			}
		})
	}
}

// examples/policy.yaml, the README's example, is valid.
func TestExamplePolicy(t *testing.T) {
	f, err := trust.Load("../examples/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Publishers) < 2 {
		t.Fatalf("example has %d publishers", len(f.Publishers))
	}
	var levels []verify.TrustLevel
	for _, p := range f.Publishers {
		levels = append(levels, p.TrustLevel)
	}
	if !strings.Contains(strings.Join(func() []string {
		var s []string
		for _, l := range levels {
			s = append(s, string(l))
		}
		return s
	}(), ","), "official") {
		t.Errorf("example levels %v lack official", levels)
	}
}

// Policy loads keys (relative to the file) and the log material; a key that does not
// load is reported at its position, wrapping the loader's error.
func TestPolicyLoadsKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.yaml")
	f, err := trust.Parse(path, []byte(head+okPublisher))
	if err != nil {
		t.Fatal(err)
	}
	sentinel := errors.New("no such key")
	var asked []string
	_, err = f.Policy(context.Background(), func(_ context.Context, ref string) (crypto.PublicKey, error) {
		asked = append(asked, ref)
		return nil, sentinel
	})
	if !errors.Is(err, sentinel) || !strings.HasPrefix(err.Error(), path+":6:12: publishers[0].keys[0]: no such key") {
		t.Errorf("Policy = %v", err)
	}
	if len(asked) != 1 || asked[0] != filepath.Join(dir, "a.pub") {
		t.Errorf("loader asked for %v, want %s", asked, filepath.Join(dir, "a.pub"))
	}
}

// manyPublishers is n valid publishers of distinct names and patterns.
func manyPublishers(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  - {name: p%d, trustLevel: official, keys: [a.pub], images: [\"mcp/p%d\"], transparencyLog: {insecureIgnore: true}}\n", i, i)
	}
	return b.String()
}

// Hostile: the key and trusted-root files a policy names are read as regular files within
// a bound: /dev/zero or an oversized file is an error at the field naming the file, not
// memory growing without end.
func TestPolicyBoundedFiles(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, make([]byte, 4<<20+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ tlog, want string }{
		{"{trustedRoot: /dev/zero}", ":3:18: transparencyLog.trustedRoot: /dev/zero is not a regular file"},
		{"{trustedRoot: big.json}", ":3:18: transparencyLog.trustedRoot: " + big + " is larger than 4194304 bytes"},
		{"{publicKey: /dev/zero}", ":3:18: transparencyLog.publicKey: reading public key: /dev/zero is not a regular file"},
	} {
		path := filepath.Join(dir, "policy.yaml")
		f, err := trust.Parse(path, []byte(head+"transparencyLog: "+c.tlog+"\n"+strings.Replace(okPublisher, "    transparencyLog: {publicKey: rekor.pub}\n", "", 1)))
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Policy(context.Background(), func(context.Context, string) (crypto.PublicKey, error) { return nil, nil })
		if err == nil || !strings.HasPrefix(err.Error(), path+c.want) {
			t.Errorf("%s: Policy = %v, want %s%s", c.tlog, err, path, c.want)
		}
	}
	if _, err := trust.Load("/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Load(/dev/zero) = %v", err)
	}
	// A loopback log may be plain http (the local stack).
	if _, err := trust.Parse("p.yaml", []byte(head+"transparencyLog: {url: \"http://127.0.0.1:13000\"}\n"+strings.Replace(okPublisher, "    transparencyLog: {publicKey: rekor.pub}\n", "", 1))); err != nil {
		t.Errorf("Parse(loopback http log) = %v", err)
	}
}
