package build

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestCheckAddress(t *testing.T) {
	for _, addr := range []string{
		"unix:///run/buildkit/buildkitd.sock", "tcp://127.0.0.1:1234", "tcp://buildkit.example:1234",
		"docker-container://buildx_buildkit_default", "kube-pod://buildkitd-0?namespace=ci", "ssh://me@builder:2222",
	} {
		if err := CheckAddress(addr); err != nil {
			t.Errorf("CheckAddress(%q) = %v, want nil", addr, err)
		}
	}
	for addr, want := range map[string]string{
		"http://127.0.0.1:1234":      `unknown scheme "http"`,
		"npipe:////./pipe/buildkitd": `unknown scheme "npipe"`,
		"127.0.0.1:1234":             "no scheme",
		"unix://":                    "no socket path",
		"tcp://127.0.0.1":            "no host or port",
		"tcp://:1234":                "no host or port",
		"docker-container://":        "no docker-container target",
		"ssh://":                     "no ssh target",
		"tcp://[::1":                 "missing ']'",
	} {
		err := CheckAddress(addr)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), addr) ||
			!strings.Contains(err.Error(), "want unix:///path/to/buildkitd.sock, tcp://host:port, docker-container://CONTAINER, kube-pod://POD") {
			t.Errorf("CheckAddress(%q) = %v, want an error naming it and saying %q", addr, err, want)
		}
	}
}

// NewBuildKit rejects bad addresses and TLS over anything but tcp:// before dialling.
func TestNewBuildKitRejectsBeforeDialling(t *testing.T) {
	pki := newTestPKI(t)
	good := TLSConfig{CACert: pki.file(t, "ca.pem", pki.caPEM), Cert: pki.file(t, "cert.pem", pki.clientPEM), Key: pki.file(t, "key.pem", pki.clientKeyPEM)}
	po := PlanOptions{Registry: "127.0.0.1:5000"}
	for _, tt := range []struct {
		addr string
		opts []Option
		want string
	}{
		{"unix:///nonexistent.sock", []Option{WithTLS(good)}, "TLS options need a tcp://host:port address, not unix://"},
		{"docker-container://bk", []Option{WithTLS(TLSConfig{ServerName: "bk"})}, "not docker-container://"},
		{"http://127.0.0.1:1", nil, `unknown scheme "http"; want unix:///path`},
		{"tcp://127.0.0.1:1", []Option{WithTLS(good), WithTLS(good)}, "WithTLS given twice"},
		{"tcp://127.0.0.1:1", []Option{WithTLS(TLSConfig{Cert: good.Cert})}, "client certificate " + good.Cert + " given without its key"},
	} {
		_, err := NewBuildKit(context.Background(), tt.addr, po, tt.opts...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewBuildKit(%s) = %v, want an error saying %q", tt.addr, err, tt.want)
		}
		var ue *UnreachableError
		if errors.As(err, &ue) {
			t.Errorf("NewBuildKit(%s) = %v: a usage problem, not unreachable", tt.addr, err)
		}
	}
}

// clientOptions: CA given → WithServerConfig, none → the system's roots; a client
// certificate adds WithCredentials.
func TestClientOptions(t *testing.T) {
	for _, tt := range []struct {
		tls  *TLSConfig
		want int
	}{
		{nil, 0},
		{&TLSConfig{}, 1},
		{&TLSConfig{CACert: "ca.pem", ServerName: "bk"}, 1},
		{&TLSConfig{CACert: "ca.pem", Cert: "c.pem", Key: "k.pem"}, 2},
	} {
		o := defaultOptions()
		o.tls = tt.tls
		co, err := o.clientOptions("tcp://127.0.0.1:1")
		if err != nil || len(co) != tt.want {
			t.Errorf("clientOptions(%+v) = %d options, %v; want %d", tt.tls, len(co), err, tt.want)
		}
	}
}
