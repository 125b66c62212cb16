package main

import (
	"context"
	"crypto"
	"errors"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/pflag"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/trust"
	"github.com/mcpbuild/mcpbuild/verify"
)

// imageVerifier is what verifyAll needs: a verify.Verifier (the flags' one publisher) or
// a verify.PolicyVerifier (--policy).
type imageVerifier interface {
	Verify(ctx context.Context, ref name.Reference, p verify.Policy) (*verify.Verdict, error)
}

// policyConflicts are the flags a --policy file replaces: giving one with it is a usage
// error naming it.
var policyConflicts = []string{"key", "rekor-key", "trusted-root", "rekor-url", "insecure-ignore-tlog", "signatures-repo",
	"require-provenance", "skip-provenance", "require-signed-revision"}

// checkPolicyFlags refuses the trust flags next to --policy.
func (c *common) checkPolicyFlags(fs *pflag.FlagSet) error {
	if c.trust.policy == "" {
		return nil
	}
	var given []string
	for _, n := range policyConflicts {
		if fs.Changed(n) {
			given = append(given, "--"+n)
		}
	}
	if len(given) > 0 {
		return cliutil.Usagef("--policy and %s exclude each other: the policy file says whom to trust and what to require (the flags are the one-publisher shorthand)",
			strings.Join(given, ", "))
	}
	return nil
}

// newVerifier returns the verifier of the flags: the --policy file's publishers, else
// the one publisher of --key and the log flags covering every image.
func (c *common) newVerifier(ctx context.Context, stats *verify.Stats) (imageVerifier, error) {
	if c.trust.policy == "" {
		key, opts, err := c.verifierOptions(ctx, stats)
		if err != nil {
			return nil, err
		}
		v, err := verify.New(key, opts...)
		if err != nil {
			return nil, cliutil.Usagef("%v", err)
		}
		return v, nil
	}
	f, err := trust.Load(c.trust.policy)
	if err != nil {
		return nil, &cliutil.UsageError{Err: err}
	}
	for _, p := range f.Publishers {
		tl := p.TransparencyLog
		if tl == nil {
			tl = f.TransparencyLog
		}
		if c.trust.offline && tl.URL != "" {
			return nil, cliutil.Usagef("--offline makes no request to Rekor: publisher %q of %s fetches the log key from %s; give publicKey or trustedRoot",
				p.Name, f.Path, tl.URL)
		}
	}
	tp, err := f.Policy(ctx, func(ctx context.Context, ref string) (crypto.PublicKey, error) {
		return c.publicKey(ctx, "key", ref)
	})
	if err != nil {
		var ue *cliutil.UnreachableError
		if errors.As(err, &ue) {
			return nil, err
		}
		return nil, &cliutil.UsageError{Err: err}
	}
	opts, err := c.baseOptions(stats)
	if err != nil {
		return nil, err
	}
	pv, err := verify.NewPolicyVerifier(tp, opts...)
	if err != nil {
		return nil, cliutil.Usagef("%s: %v", f.Path, err)
	}
	return pv, nil
}

// publisherText is "<name> (<level>)" of a verdict's publisher, "-" for none.
func publisherText(vd *verify.Verdict) string {
	if vd == nil || vd.Publisher == "" {
		return "-"
	}
	return catalog.EscapeText(vd.Publisher) + " (" + string(vd.TrustLevel) + ")"
}
