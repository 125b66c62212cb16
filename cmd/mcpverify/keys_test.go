package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// Hostile local inputs of the trust flags: a key or trusted root that is a device (or
// too large) is a usage error naming the file, not unbounded memory; a Rekor URL in plain
// http to a remote host is refused (the log key would be trusted on first use from
// whoever answers), to a loopback host allowed.
func TestTrustFlagsRefuseHostileSources(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := cryptoutils.MarshalPublicKeyToPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "key.pub")
	if err := os.WriteFile(key, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"key device", nil, []string{"--key", "/dev/zero", "--insecure-ignore-tlog"}, "--key: reading public key: /dev/zero is not a regular file"},
		{"rekor key device", nil, []string{"--key", key, "--rekor-key", "/dev/zero"}, "--rekor-key: reading public key: /dev/zero is not a regular file"},
		{"trusted root device", nil, []string{"--key", key, "--trusted-root", "/dev/zero"}, "--trusted-root: /dev/zero is not a regular file"},
		{"plain http rekor", nil, []string{"--key", key, "--rekor-url", "http://rekor.example"}, `"http://rekor.example": the log key would be fetched in plaintext`},
		{"plain http rekor env", map[string]string{cliutil.EnvRekorURL: "http://rekor.example"}, []string{"--key", key}, "$" + cliutil.EnvRekorURL + `): "http://rekor.example": the log key`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := cli(t, c.env, append(c.args, "--commit", strings.Repeat("a", 40), "127.0.0.1:1/mcp/x@sha256:"+strings.Repeat("0", 64))...)
			if code != cliutil.ExitUsage || !strings.Contains(out+errs, c.want) {
				t.Errorf("exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", code, cliutil.ExitUsage, c.want, out, errs)
			}
		})
	}
	c := &common{}
	c.trust.rekorURL = "http://127.0.0.1:13000"
	if _, err := c.trust.tlogOption(); err != nil {
		t.Errorf("loopback http Rekor URL refused: %v", err)
	}
}
