package sign_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/internal/pemkey"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/fake" // registers fakekms://
)

const (
	keyA     = "../testdata/keys/test-only-a.key"
	pubA     = "../testdata/keys/test-only-a.pub"
	keyB     = "../testdata/keys/test-only-b.key"
	pubB     = "../testdata/keys/test-only-b.pub"
	password = "test-only-password"
)

func mustSigner(t *testing.T, path string) sign.Signer {
	t.Helper()
	return signtest.Signer(t, path)
}

func TestLoadKeyFileSignsVerifiably(t *testing.T) {
	ctx := context.Background()
	s := mustSigner(t, keyA)
	pubPEM, err := os.ReadFile(pubA)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := pemkey.ParsePublic(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.Sign(ctx, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sign.VerifySignature(pub, []byte("hello"), sig); err != nil {
		t.Errorf("signature does not verify with the committed public key: %v", err)
	}
	if err := sign.VerifySignature(pub, []byte("hellO"), sig); err == nil {
		t.Error("signature verifies over other bytes")
	}
	got, err := sign.PublicKeyPEM(ctx, s)
	if err != nil || string(got) != string(pubPEM) {
		t.Errorf("PublicKeyPEM() = %s, %v; want the .pub file", got, err)
	}
}

func TestLoadKeyErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, _ := os.ReadFile(keyA)
	corrupt := strings.Replace(string(good), "eyJr", "eyJX", 1)
	for _, tc := range []struct {
		name, path, pw string
		is             error
		msg            string
	}{
		{"missing file", filepath.Join(dir, "nope.key"), password, fs.ErrNotExist, "nope.key"},
		{"wrong password", keyA, "not-it", sign.ErrWrongPassword, "wrong password"},
		{"empty password", keyA, "", sign.ErrWrongPassword, "wrong password"},
		{"not pem", write("garbage.key", "hello"), password, nil, "not a PEM file"},
		{"public key given", pubA, password, nil, `PEM type "PUBLIC KEY"`},
		{"corrupt body", write("corrupt.key", corrupt), password, nil, "corrupt.key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sign.LoadKeyFile(tc.path, []byte(tc.pw))
			var ke *sign.KeyError
			if !errors.As(err, &ke) {
				t.Fatalf("LoadKeyFile() = %v, want *KeyError", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("LoadKeyFile() = %v, want errors.Is %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("LoadKeyFile() = %q, want it to mention %q", err, tc.msg)
			}
			if tc.pw != "" && strings.Contains(err.Error(), tc.pw) {
				t.Errorf("error leaks the password: %q", err)
			}
		})
	}
}

func TestGenerateKeyPairRoundTrip(t *testing.T) {
	ctx := context.Background()
	priv, pubPEM, err := sign.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(priv), "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----") {
		t.Errorf("private key PEM header: %.60s", priv)
	}
	s, err := sign.LoadKey(priv, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sign.LoadKey(priv, []byte("other")); !errors.Is(err, sign.ErrWrongPassword) {
		t.Errorf("LoadKey(wrong password) = %v", err)
	}
	got, _ := sign.PublicKeyPEM(ctx, s)
	if string(got) != string(pubPEM) {
		t.Errorf("public key of loaded private key differs from generated .pub")
	}
}

func TestOpenSigner(t *testing.T) {
	ctx := context.Background()
	asked := 0
	pw := func() ([]byte, error) { asked++; return []byte(password), nil }
	if _, err := sign.OpenSigner(ctx, keyA, pw); err != nil || asked != 1 {
		t.Errorf("OpenSigner(file) = %v, password asked %d times", err, asked)
	}
	s, err := sign.OpenSigner(ctx, "fakekms://test", pw)
	if err != nil {
		t.Fatalf("OpenSigner(fakekms) = %v", err)
	}
	if asked != 1 {
		t.Error("password asked for a KMS key")
	}
	sig, err := s.Sign(ctx, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := s.PublicKey(ctx)
	if err := sign.VerifySignature(pub, []byte("x"), sig); err != nil {
		t.Errorf("KMS signature does not verify: %v", err)
	}
	_, err = sign.OpenSigner(ctx, "nosuchkms://key", pw)
	var ke *sign.KeyError
	if !errors.As(err, &ke) || !strings.Contains(err.Error(), "compiled-in providers") {
		t.Errorf("OpenSigner(unknown provider) = %v", err)
	}
	for _, ref := range []string{"k8s://ns/cosign", "gitlab://group/project", "pkcs11:token=t;object=k"} {
		if _, err := sign.OpenSigner(ctx, ref, pw); !errors.As(err, &ke) || !strings.Contains(err.Error(), "not supported") {
			t.Errorf("OpenSigner(%s) = %v, want a KeyError saying it is not supported", ref, err)
		}
	}
	if _, err := sign.OpenSigner(ctx, "", pw); !errors.As(err, &ke) {
		t.Errorf("OpenSigner(\"\") = %v", err)
	}
	_, err = sign.OpenSigner(ctx, keyA, func() ([]byte, error) { return nil, errors.New("no tty") })
	if !errors.As(err, &ke) {
		t.Errorf("OpenSigner(password error) = %v", err)
	}
}
