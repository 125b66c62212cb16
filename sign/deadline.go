package sign

import (
	"context"
	"crypto"
	"fmt"
	"time"
)

// deadlineSigner gives every call of the wrapped Signer at most d (a KMS is a network
// service like any other: a stalled one must not hold a publish).
type deadlineSigner struct {
	s Signer
	d time.Duration
}

// WithCallTimeout wraps s so that each Sign and PublicKey call takes at most d; exceeded,
// the call fails with an error wrapping context.DeadlineExceeded ("could not check").
func WithCallTimeout(s Signer, d time.Duration) (Signer, error) {
	if s == nil || d <= 0 {
		return nil, fmt.Errorf("sign.WithCallTimeout: want a signer and a positive duration, got %v", d)
	}
	return &deadlineSigner{s: s, d: d}, nil
}

func (t *deadlineSigner) Sign(ctx context.Context, payload []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	sig, err := t.s.Sign(ctx, payload)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("signing timed out after %v: %w (%w)", t.d, ctx.Err(), err)
	}
	return sig, err
}

func (t *deadlineSigner) PublicKey(ctx context.Context) (crypto.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	k, err := t.s.PublicKey(ctx)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("reading the signing key timed out after %v: %w (%w)", t.d, ctx.Err(), err)
	}
	return k, err
}
