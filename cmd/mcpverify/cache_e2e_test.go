//go:build e2e

package main

import (
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// Images signed by the real cosign v2 CLI (payload as a blob only): the payload is
// rebuilt byte for byte from the digest, the repository and the pin, so it is not read
// (the image manifest, the .sig manifest and the config: 3 GETs in 2 round trips, as an
// mcpbuild-signed image). Then the cache: a second run makes no GET at all.
func TestE2ECosignPayloadRebuiltAndCache(t *testing.T) {
	s := e2eStack(t)
	bin := cosignBin(t, "MCPBUILD_E2E_COSIGN2")
	var tags []string
	for _, c := range []struct{ what, claim string }{{"plain", ""}, {"claim", catalog.RevisionLabel + "=" + verifytest.PinCommit}} {
		img := s.pushTiny(t, "rebuilt-"+c.what, verifytest.PinCommit)
		args := []string{"sign", "--key", e2eKey, "--rekor-url", s.rekorURL, "--yes"}
		if c.claim != "" {
			args = append(args, "-a", c.claim)
		}
		cosign(t, bin, s.sigRepo(), append(args, img.String())...)
		tag := img.Context().Tag("v1").String()
		tags = append(tags, tag)
		code, out, errs := s.mcpverify(t, "--no-cache", "--commit", verifytest.PinCommit, "--skip-provenance", "--stats", tag)
		expectVerified(t, code, out, errs)
		if !strings.Contains(errs, "registry requests: 3 (GET 3, HEAD 0) in 2 round trips") ||
			!strings.Contains(errs, "manifest GETs: 2, blob GETs: 1,") {
			t.Errorf("cosign %s: the payload blob was read: %s", c.what, errs)
		}
	}
	dir := t.TempDir()
	args := append([]string{"--cache-dir", dir, "--commit", verifytest.PinCommit, "--stats"}, tags...)
	code, cold, errs := s.mcpverify(t, args...)
	expectVerified(t, code, cold, errs)
	code, warm, errs := s.mcpverify(t, args...)
	expectVerified(t, code, warm, errs)
	// Per image: HEAD of the tag, the .sig and the .att (absent: 404).
	if warm != cold || !strings.Contains(errs, "(GET 0, HEAD 6)") || !strings.Contains(errs, "manifest GETs: 0, blob GETs: 0") {
		t.Errorf("warm run: %s\n%s\nwant the cold output\n%s", errs, warm, cold)
	}
}
