package trust

import (
	"context"
	"crypto"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/internal/pemkey"
	"github.com/mcpbuild/mcpbuild/internal/trustsrc"
	"github.com/mcpbuild/mcpbuild/verify"
)

// KeyLoader returns the public key a publisher's key reference names: a PEM file (its
// path already made relative to the policy file's directory), a KMS URI, or env://VAR.
type KeyLoader func(ctx context.Context, ref string) (crypto.PublicKey, error)

// pemFiles is the KeyLoader of PEM files alone (no environment, no KMS).
func pemFiles(_ context.Context, ref string) (crypto.PublicKey, error) {
	if strings.Contains(ref, "://") {
		return nil, fmt.Errorf("key %s: only PEM files are loaded here", ref)
	}
	return pemkey.ReadPublic(ref)
}

// Policy turns the file into a verify.TrustPolicy for verify.NewPolicyVerifier, loading
// every key with load (nil: PEM files alone) and the transparency-log material. An error is
// "path:line:col: field: <error>", wrapping the loader's error.
func (f *File) Policy(ctx context.Context, load KeyLoader) (verify.TrustPolicy, error) {
	if load == nil {
		load = pemFiles
	}
	var tp verify.TrustPolicy
	for _, p := range f.Publishers {
		vp := verify.Publisher{Name: p.Name, TrustLevel: p.TrustLevel, RequireSignedRevision: p.SignedRevision,
			Provenance: provenanceMode(p.Provenance)}
		for _, im := range p.Images {
			vp.Images = append(vp.Images, im.Value)
		}
		for _, k := range p.Keys {
			pub, err := load(ctx, f.Resolve(k.Value))
			if err != nil {
				return tp, f.errAt(k.Pos, k.field, err)
			}
			vp.Keys = append(vp.Keys, verify.PublisherKey{Ref: k.Value, Key: pub})
		}
		tl := p.TransparencyLog
		if tl == nil {
			tl = f.TransparencyLog
		}
		opt, err := f.tlogOption(tl)
		if err != nil {
			return tp, err
		}
		vp.Options = append(vp.Options, opt)
		if p.SignaturesRepository != "" {
			r, err := name.NewRepository(p.SignaturesRepository, name.StrictValidation)
			if err != nil { // checked by Parse
				return tp, f.errAt(p.Pos, p.field+".signaturesRepository", err)
			}
			vp.Options = append(vp.Options, verify.WithSignaturesRepository(r))
		}
		tp.Publishers = append(tp.Publishers, vp)
	}
	return tp, nil
}

// Resolve makes a key or file reference of the policy relative to its directory; URIs
// (KMS, env://) and absolute paths are returned as they are.
func (f *File) Resolve(ref string) string {
	if strings.Contains(ref, "://") || filepath.IsAbs(ref) {
		return ref
	}
	return filepath.Join(filepath.Dir(f.Path), ref)
}

func (f *File) tlogOption(tl *TransparencyLog) (verify.Option, error) {
	switch {
	case tl.InsecureIgnore:
		return verify.WithoutTLogUnsafe(), nil
	case tl.URL != "":
		return verify.WithRekorURL(tl.URL), nil
	case tl.PublicKey != "":
		k, err := pemkey.ReadPublic(f.Resolve(tl.PublicKey))
		if err != nil {
			return nil, f.errAt(tl.Pos, tl.field+".publicKey", err)
		}
		return verify.WithRekorPublicKey(k), nil
	}
	b, err := trustsrc.ReadFile(f.Resolve(tl.TrustedRoot), trustsrc.MaxTrustedRootFile)
	if err == nil {
		var tr *verify.TrustedRoot
		if tr, err = verify.ParseTrustedRoot(b); err == nil {
			return verify.WithTrustedRoot(tr), nil
		}
	}
	return nil, f.errAt(tl.Pos, tl.field+".trustedRoot", err)
}

func provenanceMode(s string) verify.ProvenanceMode {
	switch s {
	case ProvenanceRequired:
		return verify.ProvenanceRequired
	case ProvenanceSkip:
		return verify.ProvenanceSkip
	}
	return verify.ProvenanceIfPresent
}

// PositionError is an error about a value of the policy file at Path:Line:Col.
type PositionError struct {
	Path      string
	Line, Col int
	Field     string
	Err       error
}

func (e *PositionError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s: %v", e.Path, e.Line, e.Col, e.Field, e.Err)
}
func (e *PositionError) Unwrap() error { return e.Err }

func (f *File) errAt(p Pos, field string, err error) error {
	return &PositionError{Path: f.Path, Line: p.Line, Col: p.Col, Field: field, Err: err}
}
