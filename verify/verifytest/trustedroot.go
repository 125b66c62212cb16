package verifytest

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"time"
)

// RootLog is one Rekor log of a trusted root: its key and validity (zero End: open-ended).
type RootLog struct {
	Key        *ecdsa.PrivateKey
	Start, End time.Time
}

// TrustedRootJSON returns a Sigstore trusted_root.json naming logs as its Rekor logs (log
// ID: the SHA-256 of the key's DER, as Rekor computes it).
func (f *Fixture) TrustedRootJSON(logs ...RootLog) []byte {
	f.T.Helper()
	var tlogs []any
	for _, l := range logs {
		der, err := x509.MarshalPKIXPublicKey(&l.Key.PublicKey)
		f.check(err)
		id := sha256.Sum256(der)
		valid := map[string]string{"start": l.Start.UTC().Format(time.RFC3339)}
		if !l.End.IsZero() {
			valid["end"] = l.End.UTC().Format(time.RFC3339)
		}
		tlogs = append(tlogs, map[string]any{
			"baseUrl": "https://rekor.test.invalid", "hashAlgorithm": "SHA2_256",
			"publicKey": map[string]any{"rawBytes": der, "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": valid},
			"logId":     map[string]any{"keyId": id[:]},
		})
	}
	b, err := json.Marshal(map[string]any{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1", "tlogs": tlogs})
	f.check(err)
	return b
}
