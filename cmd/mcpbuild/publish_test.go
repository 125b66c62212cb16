package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign"
)

const (
	testKey  = "../../testdata/keys/test-only-a.key"
	testPass = "test-only-password"
	testPin  = "0123456789abcdef0123456789abcdef01234567"
)

// catalogDir writes servers/alpha/server.yaml pinned to testPin and returns its pattern.
func catalogDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "servers", "alpha")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	y := "name: alpha\nimage: mcp/alpha\ntype: server\nsource:\n  project: https://example.com/alpha.git\n  commit: " + testPin + "\n"
	if err := os.WriteFile(filepath.Join(dir, "server.yaml"), []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "server.yaml")
}

func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func publishEnv(t *testing.T) {
	t.Setenv(cliutil.EnvCosignPassword, testPass)
	t.Setenv(cliutil.EnvCosignRepo, "")
	t.Setenv(cliutil.EnvRekorURL, "")
	t.Setenv(cliutil.EnvRegistry, "")
	t.Setenv(cliutil.EnvBuildkitHost, "unix:///nonexistent/buildkitd.sock")
}

func TestPublishErrorsBeforeAnyWork(t *testing.T) {
	publishEnv(t)
	pattern := catalogDir(t)
	reg := closedAddr(t)
	tests := []struct {
		name string
		args []string
		pw   string
		code int
		want string
	}{
		{"no key", []string{"publish", "--registry", reg, pattern}, testPass, cliutil.ExitUsage, "--key is required"},
		{"missing key file", []string{"publish", "--registry", reg, "--key", "/nonexistent/cosign.key", pattern}, testPass, cliutil.ExitUsage, "/nonexistent/cosign.key"},
		{"wrong password", []string{"publish", "--registry", reg, "--key", testKey, pattern}, "nope", cliutil.ExitUsage, "wrong password"},
		{"malformed key", []string{"publish", "--registry", reg, "--key", "../../testdata/keys/test-only-a.pub", pattern}, testPass, cliutil.ExitUsage, "not a cosign private key"},
		{"bad signatures repo", []string{"publish", "--registry", reg, "--key", testKey, "--signatures-repo", "Bad Repo", pattern}, testPass, cliutil.ExitUsage, `signatures repository "Bad Repo"`},
		{"rekor down", []string{"publish", "--registry", reg, "--key", testKey, "--rekor-url", "http://" + closedAddr(t), pattern}, testPass, cliutil.ExitUnreachable, "unreachable"},
		{"malformed rekor url", []string{"publish", "--registry", reg, "--key", testKey, "--rekor-url", "rekor.example", pattern}, testPass, cliutil.ExitUsage, `--rekor-url: "rekor.example"`},
		{"plaintext rekor url", []string{"publish", "--registry", reg, "--key", testKey, "--rekor-url", "http://example.com", pattern}, testPass, cliutil.ExitUsage, `--rekor-url: "http://example.com": the log key would be fetched in plaintext`},
		{"rekor url without tlog", []string{"publish", "--registry", reg, "--key", testKey, "--tlog-upload=false", "--rekor-url", "http://x", pattern}, testPass, cliutil.ExitUsage, "--tlog-upload=false"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(cliutil.EnvCosignPassword, tc.pw)
			out, errOut, code, err := run(t, tc.args...)
			if code != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("exit %d, err %v; want exit %d and %q", code, err, tc.code, tc.want)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if strings.Contains(errOut, "building") || strings.Contains(errOut, "checking") {
				t.Errorf("work started: %s", errOut)
			}
			if tc.pw != "" && strings.Contains(errOut+err.Error(), tc.pw) {
				t.Error("password leaked")
			}
		})
	}
}

// An image already published (label == pin, signed and attested by this key) is reported
// unchanged without BuildKit (whose address here does not exist).
func TestPublishUnchangedWithoutBuildKit(t *testing.T) {
	publishEnv(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	dig, sigRepo := publishedImage(t, host)
	d, _ := v1.NewHash(dig.DigestStr())

	out, errOut, code, err := run(t, "publish", "--registry", host, "--key", testKey, "--tlog-upload=false", "-o", "json", catalogDir(t))
	if code != 0 {
		t.Fatalf("exit %d: %v\n%s", code, err, errOut)
	}
	var rs []publish.Report
	if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 1 {
		t.Fatalf("stdout %q: %v", out, err)
	}
	r := rs[0]
	if r.Status != publish.Unchanged || r.Image != dig.String() || r.Commit != testPin ||
		r.Signature != sign.Tag(sigRepo, d, "sig").String() || r.Attestation != sign.Tag(sigRepo, d, "att").String() {
		t.Errorf("report %+v", r)
	}
	if !strings.Contains(errOut, "alpha: unchanged") {
		t.Errorf("progress on stderr: %q", errOut)
	}

	// Text output: one line naming status, image and commit.
	out, _, code, _ = run(t, "publish", "--registry", host, "--key", testKey, "--tlog-upload=false", catalogDir(t))
	if code != 0 || !strings.HasPrefix(out, "alpha unchanged "+dig.String()+" commit="+testPin) {
		t.Errorf("text report %q (exit %d)", out, code)
	}
}

func TestPublishRegistryDown(t *testing.T) {
	publishEnv(t)
	reg := closedAddr(t)
	out, errOut, code, err := run(t, "publish", "--registry", reg, "--key", testKey, "--tlog-upload=false", "-o", "json", catalogDir(t))
	if code != cliutil.ExitUnreachable || err == nil || !strings.Contains(err.Error(), reg+" unreachable") {
		t.Fatalf("exit %d, %v; want 3 naming %s\n%s", code, err, reg, errOut)
	}
	if out != "" || strings.Contains(errOut, "alpha: checking") {
		t.Errorf("work started with the registry down: stdout %q stderr %q", out, errOut)
	}
	// Only the signatures registry down: the same.
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	_, _, code, err = run(t, "publish", "--registry", host, "--signatures-repo", reg+"/sigs", "--key", testKey, "--tlog-upload=false", catalogDir(t))
	if code != cliutil.ExitUnreachable || err == nil || !strings.Contains(err.Error(), reg) {
		t.Errorf("signatures registry down: exit %d, %v", code, err)
	}
}

func TestPublishPasswordUnset(t *testing.T) {
	publishEnv(t)
	os.Unsetenv(cliutil.EnvCosignPassword)
	_, _, code, err := run(t, "publish", "--registry", closedAddr(t), "--key", testKey, catalogDir(t))
	if code != cliutil.ExitUsage || err == nil || !strings.Contains(err.Error(), cliutil.EnvCosignPassword+" is not set") {
		t.Errorf("exit %d, %v; want a hint that %s is unset", code, err, cliutil.EnvCosignPassword)
	}
}

func TestPublishExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"rekor failing", &sign.TLogError{URL: "http://rekor", Err: io.ErrUnexpectedEOF}, cliutil.ExitUnreachable},
		{"signature not persisted", fmt.Errorf("signing server a: %w", sign.ErrNotPersisted), cliutil.ExitFailed},
		{"layers lost on read-back", fmt.Errorf("signing server a: %w", &sign.LostLayersError{Writes: 3}), cliutil.ExitFailed},
		{"image not stored", fmt.Errorf("confirming the image of server a: %w", publish.ErrImageNotStored), cliutil.ExitFailed},
		{"could not check a tag (500 MANIFEST_UNKNOWN)", fmt.Errorf("checking: %w", &transport.Error{StatusCode: 500,
			Errors: []transport.Diagnostic{{Code: transport.ManifestUnknownErrorCode}}}), cliutil.ExitUnreachable},
		{"key error as usage", &cliutil.UsageError{Err: &sign.KeyError{Key: "k", Err: sign.ErrWrongPassword}}, cliutil.ExitUsage},
		{"joined: one server's log down", errors.Join(errors.New("build failed"), &sign.TLogError{URL: "u", Err: io.EOF}), cliutil.ExitUnreachable},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: exitCode = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// --signatures-repo, else $COSIGN_REPOSITORY, else <registry>/mcp/signatures; --rekor-url,
// else $MCPBUILD_REKOR_URL, else cosign's public log.
func TestSignaturesRepoAndRekorResolution(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		name, flag string
		env        map[string]string
		want       string
	}{
		{"flag wins", "reg.example/sigs/a", map[string]string{cliutil.EnvCosignRepo: "reg.example/env"}, "reg.example/sigs/a"},
		{"env", "", map[string]string{cliutil.EnvCosignRepo: "other.example/env/sigs"}, "other.example/env/sigs"},
		{"default", "", nil, "reg.example:5000/mcp/signatures"},
	} {
		o := &signOptions{sigRepo: tc.flag}
		got, err := o.signaturesRepo(env(tc.env), "reg.example:5000", false)
		if err != nil || got.String() != tc.want {
			t.Errorf("%s: signaturesRepo = %v, %v; want %s", tc.name, got, err, tc.want)
		}
	}
	if _, err := (&signOptions{}).signaturesRepo(env(map[string]string{cliutil.EnvCosignRepo: "UPPER/x"}), "r", false); err == nil ||
		!strings.Contains(err.Error(), "$"+cliutil.EnvCosignRepo) {
		t.Errorf("bad $%s: %v, want an error naming it", cliutil.EnvCosignRepo, err)
	}
	for _, tc := range []struct{ flag, env, want string }{
		{"https://flag.example", "https://env.example", "https://flag.example"},
		{"", "https://env.example", "https://env.example"},
		// mcpverify's rule (internal/trustsrc): http only to a loopback host.
		{"http://127.0.0.1:13000", "", "http://127.0.0.1:13000"},
		{"http://[::1]:13000/", "", "http://[::1]:13000/"},
		{"http://localhost:13000", "", "http://localhost:13000"},
		{"", "http://127.0.0.1:13000", "http://127.0.0.1:13000"},
		{"", "", sign.DefaultRekorURL},
	} {
		if got, err := (&signOptions{rekorURL: tc.flag}).rekor(env(map[string]string{cliutil.EnvRekorURL: tc.env})); err != nil || got != tc.want {
			t.Errorf("rekor(flag %q, env %q) = %q, %v; want %q", tc.flag, tc.env, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ flag, env, want string }{
		{"notaurl", "", "--rekor-url"},
		{"ftp://log.example", "", "--rekor-url"},
		{"http://", "", "--rekor-url"},
		{"http://[::1", "", "--rekor-url"},
		{"http://example.com", "", "--rekor-url"},
		{"http://10.0.0.1:3000", "", "--rekor-url"},
		{"http://127.0.0.1.example.com", "", "--rekor-url"},
		{"https://user:pw@rekor.example", "", "--rekor-url"},
		{"https://rekor.example/?q=1", "", "--rekor-url"},
		{"https://rekor.example/#f", "", "--rekor-url"},
		{"", "http://example.com", "$" + cliutil.EnvRekorURL},
		{"", "log.example:3000", "$" + cliutil.EnvRekorURL},
	} {
		_, err := (&signOptions{rekorURL: tc.flag}).rekor(env(map[string]string{cliutil.EnvRekorURL: tc.env}))
		var ue *cliutil.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("rekor(flag %q, env %q) = %v; want a usage error naming %s", tc.flag, tc.env, err, tc.want)
		}
	}
}

// publishedImage pushes host/mcp/alpha:latest labelled testPin, signed and attested by
// testKey in host/mcp/signatures, as publish leaves it, and returns its digest and the
// signatures repository.
func publishedImage(t *testing.T, host string) (name.Digest, name.Repository) {
	t.Helper()
	ctx := context.Background()
	img, _ := random.Image(32, 1)
	cf, _ := img.ConfigFile()
	cf.Config.Labels = map[string]string{catalog.RevisionLabel: testPin}
	img, _ = mutate.ConfigFile(img, cf)
	tag, _ := name.NewTag(host + "/mcp/alpha:latest")
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	dig := tag.Context().Digest(d.String())
	signer, err := sign.LoadKeyFile(testKey, []byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	sigRepo, _ := name.NewRepository(host + "/mcp/signatures")
	svc, _ := sign.New(signer, sign.NewStore(sigRepo), nil, sign.WithoutTLogUnsafe())
	claims := map[string]string{catalog.RevisionLabel: testPin, catalog.SourceLabel: "https://example.com/alpha.git"}
	if _, err := svc.SignImage(ctx, dig, claims); err != nil {
		t.Fatal(err)
	}
	st := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x","digest":{"sha256":"` + d.Hex + `"}}],"predicateType":"` + sign.SLSAProvenanceV1 + `","predicate":{}}`
	if _, err := svc.Attest(ctx, dig, []byte(st)); err != nil {
		t.Fatal(err)
	}
	return dig, sigRepo
}
