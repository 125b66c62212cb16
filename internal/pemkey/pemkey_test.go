package pemkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

func TestReadAndParse(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := cryptoutils.MarshalPublicKeyToPEM(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParsePublic(pemBytes)
	if err != nil || !priv.PublicKey.Equal(k) {
		t.Fatalf("Parse = %v, %v; want the key", k, err)
	}
	path := filepath.Join(t.TempDir(), "cosign.pub")
	if err := os.WriteFile(path, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	if k, err := ReadPublic(path); err != nil || !priv.PublicKey.Equal(k) {
		t.Fatalf("Read = %v, %v; want the key", k, err)
	}
}

func TestPublicBadInputs(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pub")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "missing.pub"): "reading public key",
		garbage:                           "parsing public key " + garbage,
		dir:                               "reading public key",
	} {
		if k, err := ReadPublic(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadPublic(%s) = %v, %v; want error containing %q", path, k, err, want)
		}
	}
	for _, b := range [][]byte{nil, []byte("not a key"), []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")} {
		if k, err := ParsePublic(b); err == nil || !strings.Contains(err.Error(), "decoding public key") {
			t.Errorf("ParsePublic(%q) = %v, %v; want a decoding error", b, k, err)
		}
	}
}
