package verify

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-openapi/runtime"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/tuf"

	"github.com/mcpbuild/mcpbuild/internal/pemkey"
	"github.com/mcpbuild/mcpbuild/sign"
)

// rekorTrust holds the transparency log's public keys, given (WithRekorPublicKey,
// WithTrustedRoot) or fetched once (WithRekorURL).
type rekorTrust struct {
	given  []logKey
	url    string
	client *http.Client

	mu   sync.Mutex
	keys *cosign.TrustedTransparencyLogPubKeys
	logs []trustedLog
}

// trustedLog is a logKey with the log ID cosign computes for it (what a legacy bundle's
// SET names).
type trustedLog struct {
	logKey
	keyID string
}

// get returns the trusted log keys, fetching <url>/api/v1/log/publicKey the first time
// when no key was given. A failed fetch is retried at the next call.
func (r *rekorTrust) get(ctx context.Context) (*cosign.TrustedTransparencyLogPubKeys, []trustedLog, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys != nil {
		return r.keys, r.logs, nil
	}
	given := r.given
	if len(given) == 0 {
		pub, err := r.fetch(ctx)
		if err != nil {
			return nil, nil, err
		}
		given = []logKey{{Key: pub, BaseURL: r.url}}
	}
	keys := cosign.NewTrustedTransparencyLogPubKeys()
	var logs []trustedLog
	for _, k := range given {
		pemBytes, err := cryptoutils.MarshalPublicKeyToPEM(k.Key)
		if err != nil {
			return nil, nil, fmt.Errorf("encoding rekor public key: %w", err)
		}
		if err := keys.AddTransparencyLogPubKey(pemBytes, tuf.Active); err != nil {
			return nil, nil, fmt.Errorf("loading rekor public key: %w", err)
		}
		id, err := cosign.GetTransparencyLogID(k.Key)
		if err != nil {
			return nil, nil, fmt.Errorf("rekor log id: %w", err)
		}
		if k.ID == "" {
			k.ID = id
		}
		logs = append(logs, trustedLog{logKey: k, keyID: id})
	}
	r.keys, r.logs = &keys, logs
	return r.keys, r.logs, nil
}

// validAt checks that a key of the log whose SET verified (cosign's log ID logID) was
// valid at the entry's integrated time.
func validAt(logs []trustedLog, logID string, integrated int64) error {
	t := time.Unix(integrated, 0)
	var periods []string
	for _, l := range logs {
		if l.keyID != logID {
			continue
		}
		if l.validAt(t) {
			return nil
		}
		periods = append(periods, l.period())
	}
	if len(periods) == 0 {
		return fmt.Errorf("no trusted log key has log ID %.12s…", logID)
	}
	return fmt.Errorf("entry integrated at %s, outside the log key's validity (%s)",
		t.UTC().Format(time.RFC3339), strings.Join(periods, "; "))
}

func (r *rekorTrust) fetch(ctx context.Context) (crypto.PublicKey, error) {
	u := strings.TrimSuffix(r.url, "/") + "/api/v1/log/publicKey"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetching rekor public key: %w", err)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, &readError{fmt.Errorf("fetching rekor public key from %s: %w", u, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, &readError{fmt.Errorf("fetching rekor public key from %s: %w", u, err)}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &readError{fmt.Errorf("fetching rekor public key from %s: status %s", u, resp.Status)}
	}
	pub, err := pemkey.ParsePublic(body)
	if err != nil {
		return nil, &readError{fmt.Errorf("parsing rekor public key from %s: %w", u, err)}
	}
	return pub, nil
}

// checkLegacyTLog verifies a signature's Rekor bundle offline: the SET against the log
// key, and the hashedrekord body against this signature, this payload's hash and the key.
func (v *Verifier) checkLegacyTLog(ctx context.Context, c *candidate) Check {
	if v.rekor == nil {
		return skipped(CheckTLog, "transparency log not checked (insecure opt-out)")
	}
	b, err := parseRekorBundle(ctx, c.bundleRaw)
	if err != nil {
		return errCheck(CheckTLog, err)
	}
	return v.verifyRekorBundle(ctx, b, []string{"hashedrekord"}, func(o ...static.Option) (oci.Signature, error) {
		return static.NewSignature(c.payload, c.b64sig, o...)
	})
}

// parseRekorBundle parses a Rekor bundle annotation (nil: none). A bundle that does not
// parse is returned empty, to fail verifyRekorBundle; one over the JSON limits or the
// budget is an error.
func parseRekorBundle(ctx context.Context, raw *string) (*bundle.RekorBundle, error) {
	if raw == nil {
		return nil, nil
	}
	if err := chargeJSON(ctx, []byte(*raw), 0, "Rekor bundle annotation"); err != nil {
		return nil, err
	}
	b := &bundle.RekorBundle{}
	if err := json.Unmarshal([]byte(*raw), b); err != nil {
		return &bundle.RekorBundle{}, nil
	}
	return b, nil
}

// verifyRekorBundle checks b is a well-formed bundle of the wanted entry kind and runs
// cosign's VerifyBundle on the signature made by mk.
func (v *Verifier) verifyRekorBundle(ctx context.Context, b *bundle.RekorBundle, kinds []string, mk func(...static.Option) (oci.Signature, error)) Check {
	if b == nil {
		return fail(CheckTLog, "no Rekor bundle ("+sign.BundleAnnotation+" annotation missing)")
	}
	body, ok := b.Payload.Body.(string)
	if !ok || len(b.SignedEntryTimestamp) == 0 {
		return fail(CheckTLog, "Rekor bundle is malformed (no body or no signed entry timestamp)")
	}
	pe, err := models.UnmarshalProposedEntry(base64.NewDecoder(base64.StdEncoding, strings.NewReader(body)), runtime.JSONConsumer())
	if err != nil {
		return fail(CheckTLog, fmt.Sprintf("decoding Rekor entry body: %v", err))
	}
	if !slices.Contains(kinds, pe.Kind()) {
		return fail(CheckTLog, fmt.Sprintf("Rekor entry kind is %q, want %s", pe.Kind(), strings.Join(kinds, " or ")))
	}
	keys, logs, err := v.rekor.get(ctx)
	if err != nil {
		return Check{Name: CheckTLog, Status: StatusError, Detail: err.Error()}
	}
	sig, err := mk(static.WithBundle(b))
	if err != nil {
		return fail(CheckTLog, err.Error())
	}
	verified, err := verifyBundleSafely(sig, &cosign.CheckOpts{RekorPubKeys: keys, SigVerifier: v.sigVer})
	if err != nil {
		return fail(CheckTLog, fmt.Sprintf("Rekor bundle does not verify: %v", err))
	}
	if !verified {
		return fail(CheckTLog, "Rekor bundle not verified")
	}
	if err := validAt(logs, b.Payload.LogID, b.Payload.IntegratedTime); err != nil {
		return fail(CheckTLog, "Rekor bundle: "+err.Error())
	}
	return Check{Name: CheckTLog, Status: StatusPass, Detail: fmt.Sprintf(
		"%s entry logIndex %d verified offline (SET by log %.12s…); body matches signature, payload hash and key",
		pe.Kind(), b.Payload.LogIndex, b.Payload.LogID)}
}

// verifyBundleSafely runs cosign's VerifyBundle, turning a panic into an error: it
// dereferences optional fields of the entry body (an intoto entry without a content
// hash, for one) before the SET is checked, so a hostile registry could otherwise crash
// the process that embeds the verifier.
func verifyBundleSafely(sig oci.Signature, co *cosign.CheckOpts) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("malformed Rekor entry body (%v)", r)
		}
	}()
	return cosign.VerifyBundle(sig, co)
}
