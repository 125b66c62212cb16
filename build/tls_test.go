package build

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and a client certificate, and
// an unrelated CA with a client certificate of its own.
type testPKI struct {
	dir                               string
	caPEM, serverPEM, serverKeyPEM    []byte
	clientPEM, clientKeyPEM           []byte
	otherCAPEM, otherPEM, otherKeyPEM []byte
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir()}
	ca, caKey, caPEM := testCert(t, "test CA", nil, nil, true, 0)
	p.caPEM = caPEM
	_, sk, sPEM := testCert(t, "buildkitd", ca, caKey, false, x509.ExtKeyUsageServerAuth)
	p.serverPEM = sPEM
	p.serverKeyPEM = keyPEM(t, sk)
	_, ck, cPEM := testCert(t, "client", ca, caKey, false, x509.ExtKeyUsageClientAuth)
	p.clientPEM, p.clientKeyPEM = cPEM, keyPEM(t, ck)
	other, otherKey, otherPEM := testCert(t, "other CA", nil, nil, true, 0)
	p.otherCAPEM = otherPEM
	_, ok, oPEM := testCert(t, "stranger", other, otherKey, false, x509.ExtKeyUsageClientAuth)
	p.otherPEM, p.otherKeyPEM = oPEM, keyPEM(t, ok)
	return p
}

func (p *testPKI) file(t *testing.T, name string, b []byte) string {
	t.Helper()
	f := filepath.Join(p.dir, name)
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

var serial int64

func testCert(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool, eku x509.ExtKeyUsage) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: isCA, BasicConstraintsValid: true,
	}
	if isCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign
		parent, parentKey = tmpl, key
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{eku}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func keyPEM(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

// mtlsServer listens on 127.0.0.1 with p's server certificate, requires a client
// certificate of p's CA, and after a handshake writes one byte (as gRPC's settings frame).
func mtlsServer(t *testing.T, p *testPKI) string {
	t.Helper()
	kp, err := tls.X509KeyPair(p.serverPEM, p.serverKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.caPEM)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{kp}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if c.(*tls.Conn).Handshake() == nil {
					c.Write([]byte{0})
				}
			}()
		}
	}()
	return l.Addr().String()
}

func TestTLSConfigCheck(t *testing.T) {
	p := newTestPKI(t)
	ca, cert, key := p.file(t, "ca.pem", p.caPEM), p.file(t, "cert.pem", p.clientPEM), p.file(t, "key.pem", p.clientKeyPEM)
	otherKey := p.file(t, "other-key.pem", p.otherKeyPEM)
	missing := filepath.Join(p.dir, "missing.pem")
	if err := (TLSConfig{CACert: ca, Cert: cert, Key: key, ServerName: "localhost"}).Check(); err != nil {
		t.Errorf("Check() of good files = %v", err)
	}
	if err := (TLSConfig{}).Check(); err != nil {
		t.Errorf("Check() of nothing (system roots) = %v", err)
	}
	for _, tt := range []struct {
		c    TLSConfig
		want []string
	}{
		{TLSConfig{CACert: ca, Cert: cert}, []string{"client certificate " + cert + " given without its key"}},
		{TLSConfig{Key: key}, []string{"client key " + key + " given without its certificate"}},
		{TLSConfig{CACert: missing}, []string{"reading CA certificate", missing, "no such file"}},
		{TLSConfig{CACert: key}, []string{"CA certificate " + key + ": no PEM certificate"}},
		{TLSConfig{Cert: missing, Key: key}, []string{"reading client certificate", missing}},
		{TLSConfig{Cert: cert, Key: missing}, []string{"reading client key", missing}},
		{TLSConfig{Cert: cert, Key: otherKey}, []string{"client certificate " + cert + " and key " + otherKey, "does not match"}},
	} {
		err := tt.c.Check()
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("Check(%+v) = %v, want it to say %q", tt.c, err, w)
			}
		}
	}
}

// handshakeFailure explains, from gRPC's error or by probing, what failed with an mTLS
// server; a server that accepts the handshake gives nil.
func TestHandshakeFailure(t *testing.T) {
	p := newTestPKI(t)
	addr := "tcp://" + mtlsServer(t, p)
	ca, cert, key := p.file(t, "ca.pem", p.caPEM), p.file(t, "cert.pem", p.clientPEM), p.file(t, "key.pem", p.clientKeyPEM)
	otherCA, other, otherKey := p.file(t, "oca.pem", p.otherCAPEM), p.file(t, "o.pem", p.otherPEM), p.file(t, "okey.pem", p.otherKeyPEM)
	reset := errors.New("failed to call info: Unavailable: write tcp 127.0.0.1:1->127.0.0.1:2: write: connection reset by peer")
	for _, tt := range []struct {
		name string
		tls  *TLSConfig
		err  error
		want string // "" = no *TLSError
	}{
		{"good", &TLSConfig{CACert: ca, Cert: cert, Key: key}, reset, ""},
		{"wrong CA (gRPC says)", &TLSConfig{CACert: otherCA, Cert: cert, Key: key},
			errors.New(`connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`),
			"TLS handshake failed: buildkitd's certificate is signed by an unknown authority (check --tlscacert"},
		{"wrong CA (probed)", &TLSConfig{CACert: otherCA, Cert: cert, Key: key}, reset, "signed by an unknown authority"},
		{"no client certificate", &TLSConfig{CACert: ca}, reset, "requires a client certificate and none was sent (set --tlscert and --tlskey)"},
		{"client certificate of another CA", &TLSConfig{CACert: ca, Cert: other, Key: otherKey}, reset, "signed by a CA it trusts, and the one given is not (so none was sent) (check --tlscert)"},
		{"wrong server name", &TLSConfig{CACert: ca, Cert: cert, Key: key, ServerName: "bk.invalid"}, reset, "not bk.invalid (check --tlsservername"},
		{"no TLS options", nil, errors.New(`connection error: desc = "error reading server preface: EOF"`), "no TLS: buildkitd at this address speaks TLS and no TLS options were given (set --tlscacert"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := defaultOptions()
			o.tls = tt.tls
			te := o.handshakeFailure(context.Background(), addr, tt.err)
			switch {
			case tt.want == "" && te != nil:
				t.Errorf("handshakeFailure() = %v, want nil", te)
			case tt.want != "" && (te == nil || !strings.Contains(te.Error(), tt.want)):
				t.Errorf("handshakeFailure() = %v, want it to say %q", te, tt.want)
			case te != nil && !errors.Is(te, tt.err):
				t.Errorf("handshakeFailure() = %v does not wrap gRPC's error", te)
			}
		})
	}
	// Nothing listening: not a TLS matter, with or without TLS options.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "tcp://" + l.Addr().String()
	l.Close()
	for _, c := range []*TLSConfig{nil, {CACert: ca}} {
		o := defaultOptions()
		o.tls = c
		if te := o.handshakeFailure(context.Background(), closed, errors.New("connection refused")); te != nil {
			t.Errorf("handshakeFailure(%s, nothing listening) = %v, want nil", closed, te)
		}
	}
}

// tlsFailure recognises Go's TLS and x509 messages inside gRPC's error, and nothing else.
func TestTLSFailureMessages(t *testing.T) {
	for msg, want := range map[string]string{
		`connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`: "signed by an unknown authority (check --tlscacert",
		`desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate is valid for localhost, not bk"`:                "certificate is valid for localhost, not bk (check --tlsservername",
		`desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time"`: "expired or is not yet valid",
		`desc = "error reading server preface: remote error: tls: certificate required"`:                                                                          "requires a client certificate and none was sent",
		`desc = "error reading server preface: remote error: tls: unknown certificate authority"`:                                                                 "not signed by a CA buildkitd trusts (check --tlscert)",
		`desc = "error reading server preface: remote error: tls: bad certificate"`:                                                                               "rejected the client certificate (check --tlscert and --tlskey)",
		`desc = "transport: authentication handshake failed: tls: first record does not look like a TLS handshake"`:                                               "does not speak TLS",
		`desc = "transport: authentication handshake failed: tls: handshake failure"`:                                                                             "TLS handshake failed: tls: handshake failure",
	} {
		te := tlsFailure(errors.New(msg))
		if te == nil || !strings.Contains(te.Error(), want) {
			t.Errorf("tlsFailure(%q) = %v, want it to say %q", msg, te, want)
		}
	}
	for _, msg := range []string{"connection refused", "write: connection reset by peer", "context deadline exceeded"} {
		if te := tlsFailure(errors.New(msg)); te != nil {
			t.Errorf("tlsFailure(%q) = %v, want nil", msg, te)
		}
	}
}
