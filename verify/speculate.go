package verify

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
	"github.com/mcpbuild/mcpbuild/sign"
)

// speculation holds the HEADs of one round trip made with a tag hint (hint.go): the
// tag's, and those of the .sig and .att tags of the digest the tag last resolved to.
type speculation struct {
	img, sig, att  headAnswer
	sigTag, attTag name.Tag
	wantAtt        bool
}

// headHinted sends the tag's HEAD and, in parallel, the HEADs of hint's .sig and (when
// wanted) .att tags. The answers about hint's tags are used only when the tag's HEAD
// names hint (see fetch): they are then exactly what the round trip after it would have
// asked, the same tags of the same digest; otherwise they are dropped.
func (v *Verifier) headHinted(ctx context.Context, tag name.Tag, hint v1.Hash, sigRepo name.Repository, wantAtt bool) *speculation {
	s := &speculation{sigTag: sign.Tag(sigRepo, hint, sign.SignatureSuffix),
		attTag: sign.Tag(sigRepo, hint, sign.AttestationSuffix), wantAtt: wantAtt}
	headAtt := func(ctx context.Context) { s.att = v.reg.head(ctx, s.attTag, ocireg.AcceptImage) }
	if !wantAtt {
		headAtt = nil
	}
	fetchAll(ctx,
		func(ctx context.Context) { s.img = v.reg.head(ctx, tag, ocireg.AcceptImageRef) },
		func(ctx context.Context) { s.sig = v.reg.head(ctx, s.sigTag, ocireg.AcceptImage) },
		headAtt)
	return s
}

// readSig finishes reading the .sig manifest from its speculative HEAD's answer (the cache
// or a GET by the digest it names, as after any HEAD: cached.go).
func (s *speculation) readSig(c *registryClient, f *fetched) func(context.Context) {
	return func(ctx context.Context) {
		f.sig, _, f.sigErr = c.fromHead(ctx, s.sigTag, ocireg.AcceptImage, s.sig)
	}
}

// readAtt is readSig for the .att manifest (nil when provenance is not read).
func (s *speculation) readAtt(c *registryClient, f *fetched) func(context.Context) {
	if !s.wantAtt {
		return nil
	}
	return func(ctx context.Context) {
		f.att, _, f.attErr = c.fromHead(ctx, s.attTag, ocireg.AcceptImage, s.att)
	}
}
