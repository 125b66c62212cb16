package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// tlsFiles writes a self-signed certificate as ca.pem and cert.pem and its key as key.pem
// in a new directory (enough for the checks before dialling), and returns the directory.
func tlsFiles(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	for n, b := range map[string][]byte{"ca.pem": certPEM, "cert.pem": certPEM, "key.pem": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})} {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// clearTLSEnv unsets every BuildKit connection variable for the test.
func clearTLSEnv(t *testing.T) {
	for _, v := range []string{cliutil.EnvBuildkitHost, cliutil.EnvBuildkitTLSCACert, cliutil.EnvBuildkitTLSCert,
		cliutil.EnvBuildkitTLSKey, cliutil.EnvBuildkitTLSServerName, cliutil.EnvBuildkitTLSDir} {
		t.Setenv(v, "")
	}
}

// Every bad connection setting is a usage error (exit 2) naming the flag or variable and
// the file, before anything is built, for build and publish alike.
func TestBuildKitFlagsUsageErrors(t *testing.T) {
	clearTLSEnv(t)
	publishEnv(t)
	t.Setenv(cliutil.EnvBuildkitHost, "")
	dir := tlsFiles(t)
	ca, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	missing := filepath.Join(dir, "missing.pem")
	notPEM := filepath.Join(t.TempDir(), "notpem.txt")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tcp := []string{"--buildkit-addr", "tcp://127.0.0.1:1"}
	pattern := writeCatalog(t, map[string]string{"a": serverYAML("a")})
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown scheme", []string{"--buildkit-addr", "http://bk:1234"},
			[]string{"--buildkit-addr", `unknown scheme "http"`, "tcp://host:port, docker-container://CONTAINER, kube-pod://POD", "ssh://"}},
		{"no port", []string{"--buildkit-addr", "tcp://bk"}, []string{"--buildkit-addr", "no host or port"}},
		{"cert without key", append([]string{"--tlscert", cert}, tcp...), []string{"--tlscert " + cert + " without --tlskey"}},
		{"key without cert", append([]string{"--tlskey", key}, tcp...), []string{"--tlskey " + key + " without --tlscert"}},
		{"TLS with unix://", []string{"--tlscacert", ca, "--buildkit-addr", "unix:///run/buildkitd.sock"},
			[]string{"TLS options", "need a tcp://host:port BuildKit address", "unix:///run/buildkitd.sock is unix://"}},
		{"TLS with a helper", []string{"--tlsdir", dir, "--buildkit-addr", "ssh://builder"}, []string{"ssh://builder is ssh://"}},
		{"missing CA", append([]string{"--tlscacert", missing}, tcp...), []string{"--tlscacert", "reading CA certificate", missing, "no such file"}},
		{"CA not PEM", append([]string{"--tlscacert", notPEM}, tcp...), []string{"--tlscacert", "CA certificate " + notPEM + ": no PEM certificate"}},
		{"missing cert", append([]string{"--tlscert", missing, "--tlskey", key}, tcp...), []string{"--tlscert", "reading client certificate", missing}},
		{"key not PEM", append([]string{"--tlscert", cert, "--tlskey", notPEM}, tcp...), []string{"--tlskey", "client certificate " + cert + " and key " + notPEM}},
		{"dir and files", append([]string{"--tlsdir", dir, "--tlscacert", ca}, tcp...), []string{"--tlsdir and --tlscacert together"}},
		{"dir without files", append([]string{"--tlsdir", empty}, tcp...), []string{"--tlsdir " + empty + ": no ca.pem or ca.crt in it"}},
	}
	for _, tt := range tests {
		for _, verb := range []string{"build", "publish"} {
			args := append(append([]string{verb, "--registry", "127.0.0.1:1", "--progress", "quiet"}, tt.args...), pattern)
			if verb == "publish" {
				args = append(args[:1], append([]string{"--key", "env://NOPE"}, args[1:]...)...)
			}
			out, _, code, err := run(t, args...)
			if code != cliutil.ExitUsage || err == nil {
				t.Errorf("%s %s: exit %d, err %v; want exit 2", verb, tt.name, code, err)
				continue
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s %s: err %q does not say %q", verb, tt.name, err, w)
				}
			}
			if out != "" {
				t.Errorf("%s %s wrote to stdout: %q", verb, tt.name, out)
			}
		}
	}
}

// The variables stand in for the flags (a flag wins over its variable) and are checked
// when BuildKit is about to be contacted; good settings get as far as dialling (exit 3).
func TestBuildKitTLSEnvironment(t *testing.T) {
	dir := tlsFiles(t)
	pattern := writeCatalog(t, map[string]string{"a": serverYAML("a")})
	closed := "tcp://" + closedAddr(t)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want []string
	}{
		{"cert without key", map[string]string{cliutil.EnvBuildkitHost: closed, cliutil.EnvBuildkitTLSCert: filepath.Join(dir, "cert.pem")}, nil,
			cliutil.ExitUsage, []string{"$" + cliutil.EnvBuildkitTLSCert + " " + filepath.Join(dir, "cert.pem") + " without --tlskey"}},
		{"TLS with the stack's unix socket", map[string]string{cliutil.EnvBuildkitHost: "unix:///run/bk.sock", cliutil.EnvBuildkitTLSDir: dir}, nil,
			cliutil.ExitUsage, []string{"unix:///run/bk.sock is unix://"}},
		{"missing CA from the environment", map[string]string{cliutil.EnvBuildkitHost: closed, cliutil.EnvBuildkitTLSCACert: "/nonexistent/ca.pem"}, nil,
			cliutil.ExitUsage, []string{"$" + cliutil.EnvBuildkitTLSCACert, "/nonexistent/ca.pem"}},
		{"a flag wins over its variable", map[string]string{cliutil.EnvBuildkitHost: closed, cliutil.EnvBuildkitTLSCACert: "/nonexistent/ca.pem"},
			[]string{"--tlscacert", filepath.Join(dir, "ca.pem")}, cliutil.ExitUnreachable, []string{closed}},
		{"good directory", map[string]string{cliutil.EnvBuildkitHost: closed, cliutil.EnvBuildkitTLSDir: dir, cliutil.EnvBuildkitTLSServerName: "bk"}, nil,
			cliutil.ExitUnreachable, []string{closed}},
		// The connection helper is registered: it runs `docker exec ... buildctl dial-stdio`,
		// which fails here (no docker, or no such container): unreachable, not usage.
		{"docker-container helper", map[string]string{cliutil.EnvBuildkitHost: "docker-container://mcpbuild-no-such-container"}, nil,
			cliutil.ExitUnreachable, []string{"docker-container://mcpbuild-no-such-container", "docker"}},
	}
	for _, tt := range tests {
		clearTLSEnv(t)
		for k, v := range tt.env {
			t.Setenv(k, v)
		}
		args := append(append([]string{"build", "--registry", "127.0.0.1:1", "--progress", "quiet", "--request-timeout", "5s"}, tt.args...), pattern)
		out, _, code, err := run(t, args...)
		if code != tt.code || err == nil {
			t.Errorf("%s: exit %d, err %v; want exit %d", tt.name, code, err, tt.code)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: err %q does not say %q", tt.name, err, w)
			}
		}
		if out != "" {
			t.Errorf("%s wrote to stdout: %q", tt.name, out)
		}
	}
}

// --tlsdir also finds Kubernetes' names (ca.crt, tls.crt, tls.key), as buildctl does.
func TestTLSDirKubernetesNames(t *testing.T) {
	src := tlsFiles(t)
	dir := t.TempDir()
	for from, to := range map[string]string{"ca.pem": "ca.crt", "cert.pem": "tls.crt", "key.pem": "tls.key"} {
		if err := os.Rename(filepath.Join(src, from), filepath.Join(dir, to)); err != nil {
			t.Fatal(err)
		}
	}
	o := buildkitOptions{tlsDir: dir}
	tc, err := o.tlsConfig(func(string) string { return "" })
	if err != nil || tc == nil || tc.CACert != filepath.Join(dir, "ca.crt") || tc.Cert != filepath.Join(dir, "tls.crt") || tc.Key != filepath.Join(dir, "tls.key") {
		t.Errorf("tlsConfig(--tlsdir %s) = %+v, %v; want ca.crt, tls.crt, tls.key", dir, tc, err)
	}
	if tc, err := (&buildkitOptions{}).tlsConfig(func(string) string { return "" }); tc != nil || err != nil {
		t.Errorf("tlsConfig() without settings = %+v, %v; want nil, nil (no TLS)", tc, err)
	}
}
