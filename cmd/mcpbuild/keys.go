package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/sign"
)

// newGenerateKeyPairCmd returns `mcpbuild generate-key-pair`: a cosign-compatible pair
// (<prefix>.key encrypted with $COSIGN_PASSWORD, <prefix>.pub).
func newGenerateKeyPairCmd(ro *rootOptions) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "generate-key-pair [--output-key-prefix PREFIX]",
		Short: "Write a cosign-compatible signing key pair (PREFIX.key, PREFIX.pub)",
		Long: `Generate an ECDSA P-256 key pair in cosign's format: PREFIX.key is encrypted with the
password in $` + cliutil.EnvCosignPassword + ` (set it, possibly to the empty string; it is never
read from the command line), PREFIX.pub is the PEM public key. cosign sign/verify accept
both. Existing files are never overwritten.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cliutil.Usagef("generate-key-pair takes no arguments (got %q)", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, ok := ro.lookupEnv(cliutil.EnvCosignPassword)
			if !ok {
				return cliutil.Usagef("set %s to the password for the new key (it may be empty)", cliutil.EnvCosignPassword)
			}
			keyPath, pubPath, err := writeKeyPair(prefix, []byte(pw))
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "Private key written to", keyPath)
			fmt.Fprintln(cmd.ErrOrStderr(), "Public key written to", pubPath)
			fmt.Fprintln(cmd.OutOrStdout(), pubPath)
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "output-key-prefix", "cosign", "path prefix of the key files")
	return cmd
}

// writeKeyPair writes <prefix>.key (0600) and <prefix>.pub, refusing to replace either.
func writeKeyPair(prefix string, password []byte) (keyPath, pubPath string, err error) {
	if prefix == "" {
		return "", "", cliutil.Usagef("--output-key-prefix must not be empty")
	}
	keyPath, pubPath = prefix+".key", prefix+".pub"
	for _, p := range []string{keyPath, pubPath} {
		if _, err := os.Stat(p); err == nil {
			return "", "", cliutil.Usagef("%s already exists; not overwriting it", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("checking %s: %w", p, err)
		}
	}
	priv, pub, err := sign.GenerateKeyPair(password)
	if err != nil {
		return "", "", err
	}
	// O_EXCL: never clobber a key that appeared since the check.
	if err := writeNew(keyPath, priv, 0o600); err != nil {
		return "", "", err
	}
	if err := writeNew(pubPath, pub, 0o644); err != nil {
		_ = os.Remove(keyPath)
		return "", "", err
	}
	return keyPath, pubPath, nil
}

func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		_ = os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// envKeyScheme prefixes a signing key given in an environment variable: env://VAR holds
// the cosign-encrypted private key's PEM (its password still in $COSIGN_PASSWORD).
const envKeyScheme = "env://"

// openSigner opens the signing key --key names: env://VAR (read through getenv; unset or
// empty is a usage error naming it), else as sign.OpenSigner (a KMS URI or a cosign key
// file). password is called only for a private key.
func openSigner(ctx context.Context, key string, getenv func(string) string, password func() ([]byte, error)) (sign.Signer, error) {
	v, ok := strings.CutPrefix(key, envKeyScheme)
	if !ok {
		return sign.OpenSigner(ctx, key, password)
	}
	if v == "" {
		return nil, cliutil.Usagef("--key %s: no variable named", key)
	}
	pemText := getenv(v)
	if pemText == "" {
		return nil, cliutil.Usagef("--key %s: $%s is unset or empty", key, v)
	}
	pw, err := password()
	if err != nil {
		return nil, &sign.KeyError{Key: key, Err: err}
	}
	s, err := sign.LoadKey([]byte(pemText), pw)
	var ke *sign.KeyError
	if errors.As(err, &ke) {
		ke.Key = key
	}
	return s, err
}
