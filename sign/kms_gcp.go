//go:build kms_gcp

package sign

// Registers sigstore's gcp KMS provider. Not built by default: it needs cloud credentials
// and network to be useful. Its module is required in go.mod (go mod tidy considers every
// build tag), and an untagged build does not link it.
import _ "github.com/sigstore/sigstore/pkg/signature/kms/gcp"
