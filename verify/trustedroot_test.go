package verify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

func TestParseTrustedRootRejects(t *testing.T) {
	f := verifytest.New(t)
	for n, data := range map[string]string{
		"garbage":      "not json",
		"no tlogs":     `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`,
		"bad key":      `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{"hashAlgorithm":"SHA2_256","publicKey":{"rawBytes":"AAAA","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2020-01-01T00:00:00Z"}},"logId":{"keyId":"AAAA"}}]}`,
		"no validity":  strings.Replace(string(f.TrustedRootJSON(verifytest.RootLog{Key: f.RekorKey})), `"validFor":{"start":"0001-01-01T00:00:00Z"}`, `"x":1`, 1),
		"unknown hash": strings.Replace(string(f.TrustedRootJSON(verifytest.RootLog{Key: f.RekorKey})), "SHA2_256", "SHA2_384", 1),
	} {
		t.Run(n, func(t *testing.T) {
			if _, err := verify.ParseTrustedRoot([]byte(data)); err == nil || !strings.Contains(err.Error(), "parsing trusted root") {
				t.Errorf("ParseTrustedRoot(%s) = %v, want an error", n, err)
			}
		})
	}
}

// A trusted root with several logs: the entry's log key verifies it while valid at the
// entry's integrated time; an expired (or not yet valid) key fails the tlog check, for a
// legacy .sig bundle and a cosign v3 Sigstore bundle alike.
func TestTrustedRootLogKeys(t *testing.T) {
	f := verifytest.New(t)
	other := verifytest.NewKey(t)
	past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	legacy := f.PushImage(f.Repo("mcp/legacy"), "latest", verifytest.PinCommit)
	f.Sign(legacy)
	v3 := f.PushImage(f.Repo("mcp/v3"), "latest", verifytest.PinCommit)
	f.SignBundle(v3, verifytest.BundleSpec{})

	future := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	// sigstore-go says only that no log entry verified, for a v3 bundle.
	const v3Fail = "bundle transparency log entry does not verify: failed to verify log inclusion: not enough verified log entries"
	cases := []struct {
		name   string
		logs   []verifytest.RootLog
		legacy string // "" verified, else the start of the tlog check's detail (legacy .sig bundle)
		v3     string // the same for a cosign v3 Sigstore bundle
	}{
		{"valid among others", []verifytest.RootLog{{Key: other, Start: past}, {Key: f.RekorKey, Start: past}}, "", ""},
		{"expired", []verifytest.RootLog{{Key: f.RekorKey, Start: past, End: past.AddDate(1, 0, 0)}},
			"Rekor bundle: entry integrated at ", v3Fail},
		{"not yet valid", []verifytest.RootLog{{Key: f.RekorKey, Start: future}}, "Rekor bundle: entry integrated at ", v3Fail},
		{"other log only", []verifytest.RootLog{{Key: other, Start: past}},
			"Rekor bundle does not verify: verifying bundle: rekor log public key not found for payload", v3Fail},
	}
	period := map[string]string{ // the legacy detail ends with the key's validity
		"expired":       ", outside the log key's validity (2020-01-01T00:00:00Z to 2021-01-01T00:00:00Z)",
		"not yet valid": ", outside the log key's validity (" + future.Format(time.RFC3339) + " to open-ended)",
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, err := verify.ParseTrustedRoot(f.TrustedRootJSON(c.logs...))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(tr.Logs()); got != len(c.logs) {
				t.Fatalf("Logs() has %d keys, want %d", got, len(c.logs))
			}
			v, err := verify.New(&f.Key.PublicKey, verify.WithTrustedRoot(tr), verify.WithSignaturesRepository(f.SigRepo))
			if err != nil {
				t.Fatal(err)
			}
			for _, img := range []name.Reference{legacy, v3} {
				vd, err := v.Verify(ctxT(t), img, policy())
				if err != nil {
					t.Fatalf("%s: %v", img, err)
				}
				tl := vd.Check(verify.CheckTLog)
				want, suffix := c.legacy, period[c.name]
				if img == v3 {
					want, suffix = c.v3, ""
				}
				switch {
				case want == "" && !vd.Verified:
					t.Errorf("%s: not verified: %s", img, vd.Reason)
				case want != "" && (vd.Verified || tl.Status != verify.StatusFail || !strings.HasPrefix(tl.Detail, want) || !strings.HasSuffix(tl.Detail, suffix)):
					t.Errorf("%s: verified=%v tlog=%+v, want a tlog failure %q...%q", img, vd.Verified, tl, want, suffix)
				}
			}
		})
	}
	if _, err := verify.New(&f.Key.PublicKey, verify.WithTrustedRoot(&verify.TrustedRoot{})); err == nil {
		t.Error("New accepted an empty trusted root")
	}
	tr, _ := verify.ParseTrustedRoot(f.TrustedRootJSON(verifytest.RootLog{Key: f.RekorKey, Start: past}))
	if _, err := verify.New(&f.Key.PublicKey, verify.WithTrustedRoot(tr), verify.WithRekorPublicKey(&f.RekorKey.PublicKey)); err == nil ||
		!strings.Contains(err.Error(), "conflicting") {
		t.Errorf("New(WithTrustedRoot, WithRekorPublicKey) = %v, want a conflict", err)
	}
}
