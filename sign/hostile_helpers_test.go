package sign_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

// The hostile-registry helpers live in signtest (publish's tests use them too).

// Paths the hostile rules match: the .sig and .att tags.
const (
	sigPath = signtest.SigPath
	attPath = signtest.AttPath
)

var fast = signtest.Fast

type coSigned = signtest.CoSigned

func newCoSigned(t *testing.T, host string) coSigned {
	t.Helper()
	return signtest.NewCoSigned(t, host)
}

func keeps(t *testing.T, s *hostile.Server, tag name.Tag, before []v1.Descriptor, extra int) {
	t.Helper()
	signtest.Keeps(t, s, tag, before, extra)
}

func verifiesKeyB(t *testing.T, s *hostile.Server, img name.Digest, repo name.Repository) {
	t.Helper()
	signtest.VerifiesKeyB(t, s, img, repo)
}

var (
	isStagingPut  = signtest.IsStagingPut
	onPut         = signtest.OnPut
	withoutB      = signtest.WithoutB
	is500         = signtest.Is500
	couldNotCheck = signtest.CouldNotCheck
)
