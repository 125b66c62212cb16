//go:build e2e

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/sign"
)

// TestE2EKeyPairCompatibility: cosign signs with a key from `mcpbuild generate-key-pair`
// and verifies it; mcpbuild signs (through the real Rekor) with a key from
// `cosign generate-key-pair` and cosign verifies that.
func TestE2EKeyPairCompatibility(t *testing.T) {
	s := e2eSign(t)
	if s.cosign2 == "" {
		t.Skip("needs MCPBUILD_E2E_COSIGN2")
	}
	ctx := context.Background()
	id := fmt.Sprintf("%d", time.Now().UnixNano())
	tag, err := name.NewTag(s.registry + "/mcpbuild-e2e/keys:" + id)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := random.Image(64, 1)
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	ref := tag.Context().Digest(d.String())
	sigRepo := s.registry + "/mcpbuild-e2e/sig-keys-" + id
	dir := t.TempDir()

	ours := filepath.Join(dir, "ours")
	if _, errOut, code, err := run(t, "generate-key-pair", "--output-key-prefix", ours); code != 0 {
		t.Fatalf("generate-key-pair: exit %d, %v\n%s", code, err, errOut)
	}
	payloadFile := filepath.Join(dir, "payload.json")
	if _, err := s.cosign(t, s.cosign2, sigRepo, "sign", "--key", ours+".key", "--rekor-url", s.rekorURL, "--yes",
		"-a", catalog.RevisionLabel+"="+testPin, "-a", catalog.SourceLabel+"=https://example.com/x.git",
		"--output-payload", payloadFile, ref.String()); err != nil {
		t.Fatalf("cosign sign with our key: %v", err)
	}
	// Byte-identical payloads: ours and what cosign signed.
	theirPayload, err := os.ReadFile(payloadFile)
	if err != nil {
		t.Fatal(err)
	}
	ourPayload, err := sign.Payload(ref, map[string]string{catalog.RevisionLabel: testPin, catalog.SourceLabel: "https://example.com/x.git"})
	if err != nil || string(ourPayload) != string(theirPayload) {
		t.Errorf("payload differs from cosign's:\nours   %s\ncosign %s", ourPayload, theirPayload)
	}
	if _, err := s.cosign(t, s.cosign2, sigRepo, "verify", "--key", ours+".pub", "--rekor-url", s.rekorURL, ref.String()); err != nil {
		t.Errorf("cosign verify with our public key: %v", err)
	}

	theirs := filepath.Join(dir, "theirs")
	cmd := exec.Command(s.cosign2, "generate-key-pair", "--output-key-prefix", theirs)
	cmd.Env = append(cmd.Environ(), "COSIGN_PASSWORD="+testPass)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	signer, err := sign.LoadKeyFile(theirs+".key", []byte(testPass))
	if err != nil {
		t.Fatalf("loading cosign's key: %v", err)
	}
	if _, err := sign.LoadKeyFile(theirs+".key", []byte("wrong")); err == nil || !strings.Contains(err.Error(), "wrong password") {
		t.Errorf("cosign key with a wrong password: %v", err)
	}
	rk, err := sign.NewRekor(s.rekorURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := name.NewRepository(sigRepo)
	svc, err := sign.New(signer, sign.NewStore(repo), rk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SignImage(ctx, ref, map[string]string{catalog.RevisionLabel: testPin}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.cosign(t, s.cosign2, sigRepo, "verify", "--key", theirs+".pub", "--rekor-url", s.rekorURL,
		"-a", catalog.RevisionLabel+"="+testPin, ref.String()); err != nil {
		t.Errorf("cosign verify of our signature with cosign's key: %v", err)
	}
}
