//go:build e2e

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign"
)

// cosign CLI helpers of the publish e2e tests: the real cosign v2 and v3 are the referees.

// cosign runs a cosign CLI with the stack's log key and the signatures repository.
func (s signStack) cosign(t *testing.T, bin, sigRepo string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "COSIGN_REPOSITORY="+sigRepo, "SIGSTORE_REKOR_PUBLIC_KEY="+s.rekorPub,
		"COSIGN_PASSWORD="+testPass, "TUF_ROOT="+t.TempDir(), "SIGSTORE_NO_CACHE=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// cosign3VerifyFlags makes cosign v3 verify the legacy layout (.sig/.att tags with bundle
// annotations) offline against the stack's log: a trusted root naming it (the stack's, or
// one made here with `cosign trusted-root create`) is all it needs besides the key.
func (s signStack) cosign3VerifyFlags(t *testing.T) []string {
	t.Helper()
	tr := s.trustedRoot
	if tr == "" {
		tr = filepath.Join(t.TempDir(), "trusted_root.json")
		out, err := exec.Command(s.cosign3, "trusted-root", "create",
			"--rekor=url="+s.rekorURL+",public-key="+s.rekorPub+",start-time=2020-01-01T00:00:00Z", "--out", tr).CombinedOutput()
		if err != nil {
			t.Fatalf("cosign3 trusted-root create: %v\n%s", err, out)
		}
	}
	return []string{"--trusted-root", tr}
}

// cosignVerify checks r's signature (revision claim == pin) and attestation with cosign
// v2 and v3 against the public key pub.
func (s signStack) cosignVerify(t *testing.T, sigRepo string, r publish.Report, pin, pub string) {
	t.Helper()
	if s.cosign2 == "" {
		t.Skip("needs MCPBUILD_E2E_COSIGN2")
	}
	out, err := s.cosign(t, s.cosign2, sigRepo, "verify", "--key", pub, "--rekor-url", s.rekorURL,
		"-a", catalog.RevisionLabel+"="+pin, "--output", "json", r.Image)
	if err != nil {
		t.Fatal(err)
	}
	var verified []struct {
		Optional map[string]any `json:"optional"`
	}
	if err := json.Unmarshal([]byte(out), &verified); err != nil || len(verified) == 0 {
		t.Fatalf("cosign2 verify output %q: %v", out, err)
	}
	found := false
	for _, v := range verified {
		found = found || v.Optional[catalog.RevisionLabel] == pin
	}
	if !found {
		t.Errorf("cosign2 verify: no signature with revision %s: %s", pin, out)
	}
	out, err = s.cosign(t, s.cosign2, sigRepo, "verify-attestation", "--key", pub, "--rekor-url", s.rekorURL,
		"--type", "slsaprovenance1", r.Image)
	if err != nil {
		t.Error(err)
	} else {
		checkProvenance(t, out, r.Image, pin)
	}
	if s.cosign3 == "" {
		t.Skip("cosign v2 verified; cosign v3 checks need MCPBUILD_E2E_COSIGN3")
	}
	v3 := s.cosign3VerifyFlags(t)
	if _, err := s.cosign(t, s.cosign3, sigRepo, append(append([]string{"verify", "--key", pub}, v3...),
		"-a", catalog.RevisionLabel+"="+pin, r.Image)...); err != nil {
		t.Error(err)
	}
	if _, err := s.cosign(t, s.cosign3, sigRepo, append(append([]string{"verify-attestation", "--key", pub}, v3...),
		"--type", "slsaprovenance1", r.Image)...); err != nil {
		t.Error(err)
	}
	// v3 also takes the log key from SIGSTORE_REKOR_PUBLIC_KEY, as v2 does.
	if _, err := s.cosign(t, s.cosign3, sigRepo, "verify", "--key", pub, "--rekor-url", s.rekorURL, r.Image); err != nil {
		t.Error(err)
	}
}

// checkProvenance reads the DSSE envelopes cosign verify-attestation printed and checks
// that one is SLSA v1 provenance about image whose build came from git at pin.
func checkProvenance(t *testing.T, out, image, pin string) {
	t.Helper()
	digest := strings.TrimPrefix(strings.SplitN(image, "@", 2)[1], "sha256:")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var env struct {
			Payload []byte `json:"payload"`
		}
		var st struct {
			PredicateType string `json:"predicateType"`
			Subject       []struct {
				Digest map[string]string `json:"digest"`
			} `json:"subject"`
			Predicate struct {
				BuildDefinition struct {
					ExternalParameters struct {
						ConfigSource struct {
							URI    string            `json:"uri"`
							Digest map[string]string `json:"digest"`
						} `json:"configSource"`
					} `json:"externalParameters"`
					ResolvedDependencies []struct {
						URI    string            `json:"uri"`
						Digest map[string]string `json:"digest"`
					} `json:"resolvedDependencies"`
				} `json:"buildDefinition"`
			} `json:"predicate"`
		}
		if json.Unmarshal([]byte(line), &env) != nil || json.Unmarshal(env.Payload, &st) != nil ||
			st.PredicateType != sign.SLSAProvenanceV1 || len(st.Subject) == 0 || st.Subject[0].Digest["sha256"] != digest {
			continue
		}
		cs := st.Predicate.BuildDefinition.ExternalParameters.ConfigSource
		if !strings.HasPrefix(cs.URI, "git://") || !strings.Contains(cs.URI, "#"+pin) || cs.Digest["sha1"] != pin {
			t.Errorf("provenance configSource %+v does not record the git repository at %s", cs, pin)
		}
		found := false
		for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
			found = found || (strings.HasPrefix(d.URI, "git://") && d.Digest["sha1"] == pin)
		}
		if !found {
			t.Errorf("provenance resolvedDependencies %+v do not name the repository at %s", st.Predicate.BuildDefinition.ResolvedDependencies, pin)
		}
		return
	}
	t.Errorf("cosign verify-attestation printed no SLSA v1 provenance about %s:\n%s", image, out)
}
