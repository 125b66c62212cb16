package verify

import (
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
)

// logKey is one transparency-log (Rekor) verification key and when it is valid: a log
// entry is accepted when its log ID names a key valid at the entry's integrated time.
type logKey struct {
	Key crypto.PublicKey
	// ID is the log ID (hex) the trusted root gives; "" means the key's own (the SHA-256
	// of its DER encoding, as Rekor computes it).
	ID      string
	BaseURL string
	// Start and End bound the key's validity; a zero End is open-ended, a zero Start
	// unbounded.
	Start, End time.Time
}

// validAt reports whether t is in the key's validity period.
func (k logKey) validAt(t time.Time) bool {
	return (k.Start.IsZero() || !t.Before(k.Start)) && (k.End.IsZero() || !t.After(k.End))
}

func (k logKey) period() string {
	end := "open-ended"
	if !k.End.IsZero() {
		end = k.End.UTC().Format(time.RFC3339)
	}
	start := "always"
	if !k.Start.IsZero() {
		start = k.Start.UTC().Format(time.RFC3339)
	}
	return start + " to " + end
}

// TrustedRoot is the transparency-log part of a Sigstore trusted root (trusted_root.json,
// as cosign --trusted-root and sigstore-go read it): its Rekor logs' keys with their
// validity periods. Certificate authorities, CT logs and timestamp authorities are not
// used (keys, not certificates, sign here).
type TrustedRoot struct{ logs []logKey }

// ParseTrustedRoot parses a trusted_root.json (media type
// application/vnd.dev.sigstore.trustedroot+json;version=0.1 or 0.2). It must name at least
// one Rekor log.
func ParseTrustedRoot(data []byte) (*TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("parsing trusted root: %w", err)
	}
	logs := tr.RekorLogs()
	if len(logs) == 0 {
		return nil, errors.New("parsing trusted root: it names no transparency log (tlogs)")
	}
	out := &TrustedRoot{}
	for id, l := range logs {
		out.logs = append(out.logs, logKey{Key: l.PublicKey, ID: id, BaseURL: l.BaseURL,
			Start: l.ValidityPeriodStart, End: l.ValidityPeriodEnd})
	}
	sort.Slice(out.logs, func(i, j int) bool { return out.logs[i].ID < out.logs[j].ID })
	return out, nil
}

// Logs returns the root's transparency-log keys, ordered by log ID.
func (t *TrustedRoot) Logs() []logKey { return append([]logKey(nil), t.logs...) }

// rootLogs is the logs as sigstore-go trusted material entries, keyed by hex log ID.
func rootLogs(logs []logKey) (map[string]*root.TransparencyLog, error) {
	out := map[string]*root.TransparencyLog{}
	for _, l := range logs {
		raw, err := hex.DecodeString(l.ID)
		if err != nil {
			return nil, fmt.Errorf("rekor log id %q: %w", l.ID, err)
		}
		start := l.Start
		if start.IsZero() {
			start = time.Unix(1, 0)
		}
		out[l.ID] = &root.TransparencyLog{BaseURL: l.BaseURL, ID: raw, ValidityPeriodStart: start, ValidityPeriodEnd: l.End,
			HashFunc: crypto.SHA256, PublicKey: l.Key, SignatureHashFunc: crypto.SHA256}
	}
	return out, nil
}
