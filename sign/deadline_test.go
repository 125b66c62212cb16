package sign

import (
	"context"
	"crypto"
	"errors"
	"strings"
	"testing"
	"time"
)

// stalledSigner is a KMS that never answers: every call waits for its context.
type stalledSigner struct{}

func (stalledSigner) Sign(ctx context.Context, _ []byte) ([]byte, error) {
	<-ctx.Done()
	return nil, errors.New("kms: connection closed")
}

func (stalledSigner) PublicKey(ctx context.Context) (crypto.PublicKey, error) {
	<-ctx.Done()
	return nil, errors.New("kms: connection closed")
}

func TestCallTimeoutEndsAStalledSigner(t *testing.T) {
	s, err := WithCallTimeout(stalledSigner{}, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.Sign(context.Background(), []byte("payload"))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out after 50ms") {
		t.Fatalf("Sign() error = %v, want a deadline error", err)
	}
	if _, err := s.PublicKey(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PublicKey() error = %v, want a deadline error", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	if _, err := WithCallTimeout(stalledSigner{}, 0); err == nil {
		t.Fatal("WithCallTimeout(0) accepted")
	}
}
