package sign

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"sync"
	"time"

	"github.com/go-openapi/runtime"
	httptransport "github.com/go-openapi/runtime/client"
	"github.com/go-openapi/strfmt"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	rclient "github.com/sigstore/rekor/pkg/generated/client"
	"github.com/sigstore/rekor/pkg/generated/client/entries"
	"github.com/sigstore/rekor/pkg/generated/client/pubkey"
	"github.com/sigstore/rekor/pkg/generated/client/tlog"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/util"

	"github.com/mcpbuild/mcpbuild/fault"
	"github.com/mcpbuild/mcpbuild/internal/pemkey"
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

// Fault is fault.Unreachable: the log was unreachable or failing, or answered with an
// entry that does not verify; nothing about the image was decided.
func (e *TLogError) Fault() fault.Kind { return fault.Unreachable }

// Rekor is a TLog backed by a Rekor v1 server (generated rekor client). Every call has a
// deadline (WithRequestTimeout, retries included) and reads at most 1 MiB
// of any answer. Uploading an entry the log already holds (Rekor answers 409 Conflict)
// returns that entry, fetched by its UUID.
type Rekor struct {
	url     string
	client  *rclient.Rekor
	timeout time.Duration

	mu  sync.Mutex
	pub crypto.PublicKey // the log's key, read once
}

var _ TLog = (*Rekor)(nil)

// defaultRekorTimeout bounds each call to the log, retries included.
const defaultRekorTimeout = 30 * time.Second

// maxRekorResponse bounds what is read of one answer from the log (an entry, the log's
// state or key; none is more than a few KiB).
const maxRekorResponse = 1 << 20

// RekorOption configures NewRekor.
type RekorOption func(*Rekor) error

// WithRequestTimeout bounds each call to the log, retries included (default
// 30 seconds).
func WithRequestTimeout(d time.Duration) RekorOption {
	return func(r *Rekor) error {
		if d <= 0 {
			return fmt.Errorf("request timeout %v: must be positive", d)
		}
		r.timeout = d
		return nil
	}
}

// NewRekor returns a Rekor client for rawURL (DefaultRekorURL when empty). retries bounds
// the client's retries of failed requests (cosign's client uses 3).
func NewRekor(rawURL string, retries uint, opts ...RekorOption) (*Rekor, error) {
	if rawURL == "" {
		rawURL = DefaultRekorURL
	}
	r := &Rekor{url: rawURL, timeout: defaultRekorTimeout}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, &TLogError{URL: rawURL, Err: err}
		}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &TLogError{URL: rawURL, Err: err}
	}
	if u.Path == "" {
		u.Path = rclient.DefaultBasePath
	}
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{Timeout: r.timeout, Transport: limitedTransport{http.DefaultTransport.(*http.Transport).Clone()}}
	rc.RetryMax = int(retries)
	rc.RetryWaitMin, rc.RetryWaitMax = 200*time.Millisecond, 2*time.Second
	rc.Logger = nil
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler // the last answer, for the typed error
	hc := rc.StandardClient()
	hc.Transport = userAgent{hc.Transport}

	rt := httptransport.NewWithClient(u.Host, u.Path, []string{u.Scheme}, hc)
	rt.Consumers["application/json"] = runtime.JSONConsumer()
	rt.Consumers["application/x-pem-file"] = runtime.TextConsumer()
	rt.Producers["application/json"] = runtime.JSONProducer()
	reg := strfmt.NewFormats()
	reg.Add("signedCheckpoint", &util.SignedNote{}, util.SignedCheckpointValidator)
	r.client = rclient.New(rt, reg)
	return r, nil
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
	ok, err := r.client.Tlog.GetLogInfo(tlog.NewGetLogInfoParamsWithContext(ctx).WithTimeout(r.timeout))
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
	ok, err := r.client.Pubkey.GetPublicKey(pubkey.NewGetPublicKeyParamsWithContext(ctx).WithTimeout(r.timeout))
	if err != nil {
		return nil, &TLogError{URL: r.url, Err: fmt.Errorf("reading public key: %w", err)}
	}
	pub, err := pemkey.ParsePublic([]byte(ok.Payload))
	if err != nil {
		return nil, &TLogError{URL: r.url, Err: err}
	}
	r.pub = pub
	return pub, nil
}

// UploadSignature makes a hashedrekord v0.0.1 entry, as `cosign sign` does.
func (r *Rekor) UploadSignature(ctx context.Context, sig, payload, pubPEM []byte) (*bundle.RekorBundle, error) {
	h := sha256.Sum256(payload)
	return r.upload(ctx, "hashedrekord", &models.Hashedrekord{APIVersion: ptr("0.0.1"), Spec: &models.HashedrekordV001Schema{
		Data: &models.HashedrekordV001SchemaData{Hash: &models.HashedrekordV001SchemaDataHash{
			Algorithm: ptr(models.HashedrekordV001SchemaDataHashAlgorithmSha256), Value: ptr(hex.EncodeToString(h[:])),
		}},
		Signature: &models.HashedrekordV001SchemaSignature{
			Content: sig, PublicKey: &models.HashedrekordV001SchemaSignaturePublicKey{Content: pubPEM},
		},
	}})
}

// UploadAttestation makes a dsse v0.0.1 entry, as `cosign attest` does by default.
func (r *Rekor) UploadAttestation(ctx context.Context, envelope, pubPEM []byte) (*bundle.RekorBundle, error) {
	return r.upload(ctx, "dsse", &models.DSSE{APIVersion: ptr("0.0.1"), Spec: &models.DSSEV001Schema{
		ProposedContent: &models.DSSEV001SchemaProposedContent{Envelope: ptr(string(envelope)), Verifiers: []strfmt.Base64{pubPEM}},
	}})
}

// upload creates the entry; when the log already holds it (409), the existing one is
// fetched by the UUID the answer names.
func (r *Rekor) upload(ctx context.Context, kind string, e models.ProposedEntry) (*bundle.RekorBundle, error) {
	created, err := r.client.Entries.CreateLogEntry(entries.NewCreateLogEntryParamsWithContext(ctx).WithTimeout(r.timeout).WithProposedEntry(e))
	var conflict *entries.CreateLogEntryConflict
	switch {
	case errors.As(err, &conflict):
		uuid := path.Base(conflict.Location.String())
		entry, err := r.existing(ctx, uuid)
		if err != nil {
			return nil, &TLogError{URL: r.url, Err: fmt.Errorf("reading the %s entry %s the log already holds: %w", kind, uuid, err)}
		}
		return r.toBundle(entry)
	case err != nil:
		return nil, &TLogError{URL: r.url, Err: fmt.Errorf("uploading %s entry: %w", kind, err)}
	}
	for _, entry := range created.Payload { // one; which one is checked by the caller
		return r.toBundle(&entry)
	}
	return nil, &TLogError{URL: r.url, Err: fmt.Errorf("uploading %s entry: no entry in the answer", kind)}
}

// existing fetches entry uuid. A 404 right after a 409 is an entry Trillian has queued but
// not yet integrated (an upload whose client went away): it is asked again, with backoff,
// for up to entryWait.
func (r *Rekor) existing(ctx context.Context, uuid string) (*models.LogEntryAnon, error) {
	ctx, cancel := context.WithTimeout(ctx, entryWait)
	defer cancel()
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		ok, err := r.client.Entries.GetLogEntryByUUID(entries.NewGetLogEntryByUUIDParamsWithContext(ctx).WithTimeout(r.timeout).WithEntryUUID(uuid))
		var notFound *entries.GetLogEntryByUUIDNotFound
		if !errors.As(err, &notFound) {
			if err != nil {
				return nil, err
			}
			for _, e := range ok.Payload {
				return &e, nil
			}
			return nil, errors.New("no entry in the answer")
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("not found: %w", ctx.Err())
		case <-time.After(wait):
		}
	}
}

// entryWait bounds how long an entry the log reported as existing may take to be readable.
const entryWait = 15 * time.Second

func (r *Rekor) toBundle(e *models.LogEntryAnon) (*bundle.RekorBundle, error) {
	if e == nil || e.Verification == nil || e.LogIndex == nil || e.IntegratedTime == nil || e.LogID == nil {
		return nil, &TLogError{URL: r.url, Err: errors.New("log returned an entry without SignedEntryTimestamp, index or time")}
	}
	return bundle.EntryToBundle(e), nil
}

func ptr[T any](v T) *T { return &v }

// limitedTransport fails reading an answer body beyond maxRekorResponse bytes.
type limitedTransport struct{ base http.RoundTripper }

func (t limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err == nil {
		resp.Body = &limitedBody{ReadCloser: resp.Body, left: maxRekorResponse}
	}
	return resp, err
}

type limitedBody struct {
	io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	if b.left -= int64(n); b.left < 0 {
		return n, fmt.Errorf("answer larger than %d bytes", maxRekorResponse)
	}
	return n, err
}

type userAgent struct{ base http.RoundTripper }

func (t userAgent) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", "mcpbuild")
	return t.base.RoundTrip(req)
}
