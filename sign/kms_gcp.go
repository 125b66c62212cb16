//go:build kms_gcp

package sign

// Registers sigstore's gcp KMS provider. Not built by default: it needs cloud credentials
// and network to be useful, and its module must be added first:
//   go get github.com/sigstore/sigstore/pkg/signature/kms/gcp@v1.10.8
import _ "github.com/sigstore/sigstore/pkg/signature/kms/gcp"
