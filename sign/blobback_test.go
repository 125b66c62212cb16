package sign_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
)

// largeStatementFor is a provenance statement about img too large to be embedded in its
// descriptor: its envelope exists only as a blob.
func largeStatementFor(img name.Digest) []byte {
	h := strings.TrimPrefix(img.DigestStr(), "sha256:")
	return []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"` + img.Repository.Name() +
		`","digest":{"sha256":"` + h + `"}}],"predicateType":"https://slsa.dev/provenance/v1",` +
		`"predicate":{"buildDefinition":{"buildType":"https://mobyproject.org/buildkit@v1","externalParameters":{"pad":"` +
		strings.Repeat("x", 64<<10) + `"}},"runDetails":{"builder":{"id":""}}}}`)
}

// A registry that says it holds every blob (HEAD 200) and drops uploads makes the tag list a
// layer whose content is nowhere. Without a log there is no staging (which reads its blob
// back), so the final write must read our blob back itself: the attestation fails instead of
// reporting success for content nobody can fetch.
func TestFinalWriteReadsBackItsBlob(t *testing.T) {
	s := hostile.NewRegistry()
	host := s.Start(t)
	img := pushImage(t, host, "mcp/blobback")
	s.On(http.MethodHead, `/v2/mcp/signatures/blobs/sha256:`, hostile.Respond(http.StatusOK, "", "Content-Length", "1"))
	s.On("", `/v2/mcp/signatures/blobs/uploads`, hostile.DropWrite())
	svc := newService(t, host, keyA, nil)
	_, err := svc.Attest(context.Background(), img, largeStatementFor(img))
	if err == nil || !strings.Contains(err.Error(), "reading back blob") {
		t.Fatalf("Attest() error = %v; want a failed read-back of the envelope blob", err)
	}
}
