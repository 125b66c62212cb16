package build

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
)

// TLSConfig is a TLS connection to buildkitd, as buildctl's --tlscacert, --tlscert,
// --tlskey and --tlsservername describe it (the hints of TLSError name those flags).
// Files are PEM.
type TLSConfig struct {
	CACert     string // CA certificates that signed buildkitd's; "" = the system's
	Cert       string // client certificate (mutual TLS); needs Key
	Key        string // its private key; needs Cert
	ServerName string // name the server certificate must carry; "" = the address's host
}

// Check reads the files and reports the first that is missing, unreadable or not what it
// should be, naming it, and a certificate without its key or a key without its certificate.
func (c TLSConfig) Check() error {
	switch {
	case c.Cert != "" && c.Key == "":
		return fmt.Errorf("client certificate %s given without its key", c.Cert)
	case c.Key != "" && c.Cert == "":
		return fmt.Errorf("client key %s given without its certificate", c.Key)
	}
	if c.CACert != "" {
		b, err := os.ReadFile(c.CACert)
		if err != nil {
			return fmt.Errorf("reading CA certificate: %w", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(b) {
			return fmt.Errorf("CA certificate %s: no PEM certificate in it", c.CACert)
		}
	}
	if c.Cert == "" {
		return nil
	}
	cert, err := os.ReadFile(c.Cert)
	if err != nil {
		return fmt.Errorf("reading client certificate: %w", err)
	}
	key, err := os.ReadFile(c.Key)
	if err != nil {
		return fmt.Errorf("reading client key: %w", err)
	}
	if _, err := tls.X509KeyPair(cert, key); err != nil {
		return fmt.Errorf("client certificate %s and key %s: %w", c.Cert, c.Key, err)
	}
	return nil
}

// WithTLS connects to buildkitd over TLS (a tcp:// address only), with a client
// certificate when c has one. The files must be readable (TLSConfig.Check); given twice is
// a conflict.
func WithTLS(c TLSConfig) Option {
	return func(o *options) error {
		if o.tls != nil {
			return errors.New("WithTLS given twice")
		}
		if err := c.Check(); err != nil {
			return fmt.Errorf("WithTLS: %w", err)
		}
		o.tls = &c
		return nil
	}
}

// TLSError is a TLS handshake with buildkitd that failed: Reason says what went wrong in
// plain words and Hint which setting to check. It is the Err of an *UnreachableError.
type TLSError struct {
	Reason string
	Hint   string
	Plain  bool  // no TLS was configured and the server speaks TLS
	Err    error // the gRPC error as BuildKit's client returned it
}

func (e *TLSError) Error() string {
	msg := "TLS handshake failed: " + e.Reason
	if e.Plain {
		msg = "no TLS: " + e.Reason
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}
func (e *TLSError) Unwrap() error { return e.Err }

// gRPC reports handshake failures only as text inside an Unavailable status, so they are
// recognised by the Go TLS and x509 messages below (lower case; Go 1.26). Order matters:
// the first match wins.
var tlsFailures = []struct{ marker, reason, hint string }{
	{"certificate signed by unknown authority", "buildkitd's certificate is signed by an unknown authority",
		"check --tlscacert: it must be the CA that signed buildkitd's certificate"},
	{"certificate is valid for", "", "check --tlsservername, or the host of --buildkit-addr"},
	{"cannot validate certificate for", "", "check --tlsservername, or the host of --buildkit-addr"},
	{"certificate has expired or is not yet valid", "buildkitd's certificate has expired or is not yet valid", ""},
	// Go's client sends its certificate only when its issuer is one buildkitd names as
	// trusted, so a client certificate of another CA also ends here (see handshakeFailure).
	{"certificate required", "buildkitd requires a client certificate and none was sent",
		"set --tlscert and --tlskey"},
	{"tls: unknown certificate authority", "buildkitd rejected the client certificate: it is not signed by a CA buildkitd trusts",
		"check --tlscert"},
	{"tls: bad certificate", "buildkitd rejected the client certificate", "check --tlscert and --tlskey"},
	{"first record does not look like a tls handshake", "buildkitd at this address does not speak TLS",
		"drop the TLS options, or check --buildkit-addr"},
	{"tls: ", "", ""},
}

// tlsFailure returns a *TLSError for err when it is a failed TLS handshake, else nil.
func tlsFailure(err error) *TLSError {
	msg := strings.ToLower(err.Error())
	for _, f := range tlsFailures {
		i := strings.Index(msg, f.marker)
		if i < 0 {
			continue
		}
		reason := f.reason
		if reason == "" { // the Go message itself is plain enough: cut at the marker
			reason = strings.TrimRight(msg[i:], `"`)
			if orig := err.Error(); len(orig) == len(msg) {
				reason = strings.TrimRight(orig[i:], `"`)
			}
		}
		return &TLSError{Reason: reason, Hint: f.hint, Err: err}
	}
	return nil
}
