//go:build tools

// Package tools pins the libraries the packages are being written against, so that go.mod
// and go.sum stay complete while they land. Remove an import once real code uses it.
package tools

import (
	_ "github.com/google/go-containerregistry/pkg/registry"
	_ "github.com/google/go-containerregistry/pkg/v1/mutate"
	_ "github.com/google/go-containerregistry/pkg/v1/random"
	_ "github.com/google/go-containerregistry/pkg/v1/remote"
	_ "github.com/in-toto/in-toto-golang/in_toto"
	_ "github.com/moby/buildkit/client"
	_ "github.com/moby/buildkit/session/auth/authprovider"
	_ "github.com/moby/buildkit/util/progress/progressui"
	_ "github.com/sigstore/cosign/v2/pkg/cosign"
	_ "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	_ "github.com/sigstore/cosign/v2/pkg/oci/remote"
	_ "github.com/sigstore/cosign/v2/pkg/signature"
	_ "github.com/sigstore/rekor/pkg/client"
	_ "github.com/sigstore/rekor/pkg/generated/client/entries"
	_ "github.com/sigstore/sigstore/pkg/signature"
	_ "github.com/sigstore/sigstore/pkg/signature/kms"
	_ "github.com/spf13/cobra"
	_ "gopkg.in/yaml.v3"
)
