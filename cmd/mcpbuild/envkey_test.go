package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/sign"
)

// --key env://VAR: the cosign private key's PEM in $VAR, read through the injected getenv.
func TestOpenSignerEnvKey(t *testing.T) {
	priv, _, err := sign.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SIGNING_KEY": string(priv), "NOT_A_KEY": "hello"}
	getenv := func(k string) string { return env[k] }
	pw := func(p string) func() ([]byte, error) { return func() ([]byte, error) { return []byte(p), nil } }
	ctx := context.Background()

	s, err := openSigner(ctx, "env://SIGNING_KEY", getenv, pw("pw"))
	if err != nil {
		t.Fatalf("openSigner(env://SIGNING_KEY) = %v", err)
	}
	if pub, err := s.PublicKey(ctx); err != nil {
		t.Fatal(err)
	} else if _, ok := pub.(*ecdsa.PublicKey); !ok {
		t.Errorf("public key is %T", pub)
	}

	for _, c := range []struct{ key, pw, want string }{
		{"env://UNSET", "pw", "$UNSET is unset or empty"},
		{"env://", "pw", "no variable named"},
		{"env://NOT_A_KEY", "pw", "env://NOT_A_KEY"},
		{"env://SIGNING_KEY", "wrong", "env://SIGNING_KEY"},
	} {
		_, err := openSigner(ctx, c.key, getenv, pw(c.pw))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("openSigner(%s) = %v, want an error naming %q", c.key, err, c.want)
		}
	}
	var ue *cliutil.UsageError
	if _, err := openSigner(ctx, "env://UNSET", getenv, pw("pw")); !errors.As(err, &ue) {
		t.Errorf("unset variable: %T, want a usage error", err)
	}
	if _, err := openSigner(ctx, "env://SIGNING_KEY", getenv, pw("wrong")); !errors.Is(err, sign.ErrWrongPassword) {
		t.Errorf("wrong password: %v, want ErrWrongPassword", err)
	}
}
