package sign_test

import (
	"testing"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/sign"
)

// The signed claims carry the pin under the label names catalog defines, which mcpverify
// compares with the pin (sign may not import catalog, so the names are repeated there).
func TestClaimsAreCatalogLabels(t *testing.T) {
	if sign.RevisionClaim != catalog.RevisionLabel || sign.SourceClaim != catalog.SourceLabel {
		t.Errorf("sign claims %q, %q; catalog labels %q, %q", sign.RevisionClaim, sign.SourceClaim, catalog.RevisionLabel, catalog.SourceLabel)
	}
}
