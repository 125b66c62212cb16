package sign

import (
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	rekor "github.com/sigstore/rekor/pkg/client"
	rclient "github.com/sigstore/rekor/pkg/generated/client"
	"github.com/sigstore/rekor/pkg/generated/client/pubkey"
	"github.com/sigstore/rekor/pkg/generated/client/tlog"
	"github.com/sigstore/rekor/pkg/generated/models"
)

// DefaultRekorURL is cosign's default transparency log.
const DefaultRekorURL = "https://rekor.sigstore.dev"

// TLog records signatures in a transparency log and returns cosign's bundle for the entry
// (SignedEntryTimestamp + {body, integratedTime, logIndex, logID}).
type TLog interface {
	// UploadSignature makes a hashedrekord entry for sig over payload by pubPEM, as
	// `cosign sign` does.
	UploadSignature(ctx context.Context, sig, payload, pubPEM []byte) (*bundle.RekorBundle, error)
	// UploadAttestation makes a dsse entry for a DSSE envelope by pubPEM, as
	// `cosign attest` does by default (--rekor-entry-type=dsse).
	UploadAttestation(ctx context.Context, envelope, pubPEM []byte) (*bundle.RekorBundle, error)
	// PublicKey returns the log's key, which signs the SignedEntryTimestamp of its bundles
	// (its SHA-256 over DER is the bundles' logID). Bundles are checked with it before
	// they are pushed or reused.
	PublicKey(ctx context.Context) (crypto.PublicKey, error)
}

// TLogError reports a transparency-log request that failed; URL names the log.
type TLogError struct {
	URL string
	Err error
}

func (e *TLogError) Error() string { return fmt.Sprintf("transparency log %s: %v", e.URL, e.Err) }
func (e *TLogError) Unwrap() error { return e.Err }

// Rekor is a TLog backed by a Rekor v1 server through the rekor client and cosign's upload
// helpers (an existing identical entry is fetched and its SET verified, as cosign does).
type Rekor struct {
	url    string
	client *rclient.Rekor

	mu  sync.Mutex
	pub crypto.PublicKey // the log's key, read once
}

var _ TLog = (*Rekor)(nil)

// NewRekor returns a Rekor client for url (DefaultRekorURL when empty). retries bounds the
// client's retries of failed requests (cosign's client uses 3).
func NewRekor(url string, retries uint) (*Rekor, error) {
	if url == "" {
		url = DefaultRekorURL
	}
	c, err := rekor.GetRekorClient(url, rekor.WithUserAgent("mcpbuild"),
		rekor.WithRetryCount(retries), rekor.WithRetryWaitMin(200*time.Millisecond),
		rekor.WithRetryWaitMax(2*time.Second))
	if err != nil {
		return nil, &TLogError{URL: url, Err: err}
	}
	return &Rekor{url: url, client: c}, nil
}

// URL returns the log's base URL.
func (r *Rekor) URL() string { return r.url }

// Ping asks the log for its state and its public key; publish calls it before building
// anything, so that a log that is down (or cannot show the key its bundles are checked
// with) fails the run before an image is pushed.
func (r *Rekor) Ping(ctx context.Context) error {
	if _, err := r.LogInfo(ctx); err != nil {
		return err
	}
	_, err := r.PublicKey(ctx)
	return err
}

// LogInfo returns the log's current state (tree size, root hash).
func (r *Rekor) LogInfo(ctx context.Context) (*models.LogInfo, error) {
	ok, err := r.client.Tlog.GetLogInfo(tlog.NewGetLogInfoParamsWithContext(ctx))
	if err != nil {
		return nil, &TLogError{URL: r.url, Err: err}
	}
	return ok.Payload, nil
}

// PublicKey returns the log's public key (GET /api/v1/log/publicKey), read once. As with
// cosign's sign path, it is taken from the log itself: it checks that the log's answers are
// consistent, it is no trust anchor (verifiers pin the key; see SIGSTORE_REKOR_PUBLIC_KEY).
func (r *Rekor) PublicKey(ctx context.Context) (crypto.PublicKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pub != nil {
		return r.pub, nil
	}
	ok, err := r.client.Pubkey.GetPublicKey(pubkey.NewGetPublicKeyParamsWithContext(ctx))
	if err != nil {
		return nil, &TLogError{URL: r.url, Err: fmt.Errorf("reading public key: %w", err)}
	}
	pub, err := LoadPublicKey([]byte(ok.Payload))
	if err != nil {
		return nil, &TLogError{URL: r.url, Err: err}
	}
	r.pub = pub
	return pub, nil
}

func (r *Rekor) UploadSignature(ctx context.Context, sig, payload, pubPEM []byte) (*bundle.RekorBundle, error) {
	h := sha256.New()
	h.Write(payload)
	e, err := cosign.TLogUpload(ctx, r.client, sig, h, pubPEM)
	return r.toBundle(e, err, "hashedrekord")
}

func (r *Rekor) UploadAttestation(ctx context.Context, envelope, pubPEM []byte) (*bundle.RekorBundle, error) {
	e, err := cosign.TLogUploadDSSEEnvelope(ctx, r.client, envelope, pubPEM)
	return r.toBundle(e, err, "dsse")
}

func (r *Rekor) toBundle(e *models.LogEntryAnon, err error, kind string) (*bundle.RekorBundle, error) {
	if err != nil {
		return nil, &TLogError{URL: r.url, Err: fmt.Errorf("uploading %s entry: %w", kind, err)}
	}
	if e == nil || e.Verification == nil || e.LogIndex == nil || e.IntegratedTime == nil || e.LogID == nil {
		return nil, &TLogError{URL: r.url, Err: errors.New("log returned an entry without SignedEntryTimestamp, index or time")}
	}
	return bundle.EntryToBundle(e), nil
}
