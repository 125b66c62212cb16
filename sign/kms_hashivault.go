//go:build kms_hashivault

package sign

// Registers sigstore's hashivault KMS provider. Not built by default: it needs cloud credentials
// and network to be useful, and its module must be added first:
//   go get github.com/sigstore/sigstore/pkg/signature/kms/hashivault@v1.10.8
import _ "github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
