package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature/kms"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/pemkey"
	"github.com/mcpbuild/mcpbuild/internal/trustsrc"
	"github.com/mcpbuild/mcpbuild/verify"
)

// envKeyScheme prefixes a key given in an environment variable: env://VAR holds the PEM.
const envKeyScheme = "env://"

// publicKey loads a publisher's public key named by ref (what: the flag or policy field,
// for errors): env://VAR (the PEM in $VAR; unset or empty is a usage error naming it), a
// KMS URI (its public key fetched from the provider; refused with --offline), else a PEM
// file.
func (c *common) publicKey(ctx context.Context, what, ref string) (crypto.PublicKey, error) {
	switch {
	case strings.HasPrefix(ref, envKeyScheme):
		v := strings.TrimPrefix(ref, envKeyScheme)
		if v == "" {
			return nil, cliutil.Usagef("%s %s: no variable named", what, ref)
		}
		pemText := c.getenv(v)
		if pemText == "" {
			return nil, cliutil.Usagef("%s %s: $%s is unset or empty", what, ref, v)
		}
		k, err := pemkey.ParsePublic([]byte(pemText))
		if err != nil {
			return nil, cliutil.Usagef("%s %s: $%s: %v", what, ref, v, err)
		}
		return k, nil
	case strings.Contains(ref, "://"):
		if c.trust.offline {
			return nil, cliutil.Usagef("--offline: the KMS key %s would be fetched from its provider; export the public key to a PEM file", ref)
		}
		return kmsPublicKey(ctx, ref)
	}
	k, err := pemkey.ReadPublic(ref)
	if err != nil {
		return nil, cliutil.Usagef("%s: %v", what, err)
	}
	return k, nil
}

// tlogOption is the transparency-log policy of the flags (and environment, see applyEnv):
// a log key, a trusted root, a URL to fetch the key from, or the insecure opt-out. Two
// given explicitly are a usage error.
func (t *trustOptions) tlogOption() (verify.Option, error) {
	switch {
	case t.rekorKey != "" && t.rekorURL != "":
		return nil, cliutil.Usagef("%s and --rekor-url exclude each other: give the log key, or where to fetch it", t.rekorKeySrc)
	case t.trustedRoot != "" && t.rekorKey != "":
		return nil, cliutil.Usagef("--trusted-root and %s exclude each other: the trusted root holds the log keys", t.rekorKeySrc)
	case t.trustedRoot != "" && t.rekorURL != "":
		return nil, cliutil.Usagef("--trusted-root and --rekor-url exclude each other: the trusted root holds the log keys")
	case t.ignoreTLog && t.rekorKey != "":
		return nil, cliutil.Usagef("--insecure-ignore-tlog and %s exclude each other", t.rekorKeySrc)
	case t.ignoreTLog && t.trustedRoot != "":
		return nil, cliutil.Usagef("--insecure-ignore-tlog and --trusted-root exclude each other")
	case t.ignoreTLog:
		return verify.WithoutTLogUnsafe(), nil
	case t.rekorKey != "":
		rk, err := pemkey.ReadPublic(t.rekorKey)
		if err != nil {
			return nil, cliutil.Usagef("%s: %v", t.rekorKeySrc, err)
		}
		return verify.WithRekorPublicKey(rk), nil
	case t.trustedRoot != "":
		tr, err := readTrustedRoot(t.trustedRoot)
		if err != nil {
			return nil, cliutil.Usagef("--trusted-root: %v", err)
		}
		return verify.WithTrustedRoot(tr), nil
	case t.rekorURL != "" && t.offline:
		return nil, cliutil.Usagef("--offline makes no request to Rekor: give the log key with --rekor-key or --trusted-root (or --insecure-ignore-tlog)")
	case t.rekorURL != "":
		if err := trustsrc.CheckRekorURL(t.rekorURL); err != nil {
			return nil, cliutil.Usagef("--rekor-url (or $%s): %v", cliutil.EnvRekorURL, err)
		}
		return verify.WithRekorURL(t.rekorURL), nil
	}
	return nil, cliutil.Usagef("no transparency-log key: give --rekor-key PEM, --trusted-root FILE or --rekor-url URL (or --insecure-ignore-tlog)")
}

// readTrustedRoot reads (a regular file, at most trustsrc.MaxTrustedRootFile bytes) and
// parses a Sigstore trusted_root.json.
func readTrustedRoot(path string) (*verify.TrustedRoot, error) {
	b, err := trustsrc.ReadFile(path, trustsrc.MaxTrustedRootFile)
	if err != nil {
		return nil, err
	}
	tr, err := verify.ParseTrustedRoot(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tr, nil
}

// kmsPublicKey reads the public key of a KMS key through sigstore's kms package (the
// providers compiled in, or a sigstore-kms-<name> plugin on PATH). An unknown provider is
// a usage error; a provider that cannot be reached is "could not check".
func kmsPublicKey(ctx context.Context, uri string) (crypto.PublicKey, error) {
	sv, err := kms.Get(ctx, uri, crypto.SHA256)
	if err != nil {
		var pnf *kms.ProviderNotFoundError
		if errors.As(err, &pnf) || errors.Is(err, exec.ErrNotFound) {
			return nil, cliutil.Usagef("--key %s: %v", uri, err)
		}
		return nil, &cliutil.UnreachableError{Addr: uri, Err: err}
	}
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, &cliutil.UnreachableError{Addr: uri, Err: fmt.Errorf("reading the public key: %w", err)}
	}
	return pub, nil
}
