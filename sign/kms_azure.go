//go:build kms_azure

package sign

// Registers sigstore's azure KMS provider. Not built by default: it needs cloud credentials
// and network to be useful. Its module is required in go.mod (go mod tidy considers every
// build tag), and an untagged build does not link it.
import _ "github.com/sigstore/sigstore/pkg/signature/kms/azure"
