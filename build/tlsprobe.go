package build

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// probeTimeout bounds the diagnostic handshake of handshakeFailure.
const probeTimeout = 3 * time.Second

// handshakeFailure explains why the first call to a tcp:// buildkitd failed when TLS is
// to blame: a *TLSError, else nil. gRPC's own error does not always say: with TLS 1.3
// the server checks the client certificate after the client has finished its side of
// the handshake, so its alert ("certificate required") races with the client's first
// write and often shows as "connection reset by peer" or "broken pipe". So when the error
// does not name a TLS failure, one more handshake outside gRPC that writes nothing and
// reads the server's answer tells; without TLS options the probe asks whether the server
// speaks TLS at all.
func (o *options) handshakeFailure(ctx context.Context, addr string, err error) *TLSError {
	u, perr := url.Parse(addr)
	if perr != nil || u.Scheme != "tcp" {
		return nil
	}
	if o.tls == nil {
		if speaksTLS(ctx, u.Host) {
			return &TLSError{Reason: "buildkitd at this address speaks TLS and no TLS options were given",
				Hint: "set --tlscacert, --tlscert and --tlskey, or --tlsdir", Plain: true, Err: err}
		}
		return nil
	}
	te := tlsFailure(err)
	if te == nil {
		cfg, cerr := o.tls.config(u.Hostname())
		if cerr != nil {
			return nil
		}
		perr := probeTLS(ctx, u.Host, cfg)
		if perr == nil {
			return nil
		}
		if te = tlsFailure(perr); te == nil {
			return nil
		}
		te.Err = err
	}
	if o.tls.Cert != "" && strings.Contains(strings.ToLower(te.Reason), "client certificate and none was sent") {
		// Go's client sends its certificate only when its issuer is one of the CAs
		// buildkitd names as trusted.
		te.Reason = "buildkitd requires a client certificate signed by a CA it trusts, and the one given is not (so none was sent)"
		te.Hint = "check --tlscert"
	}
	return te
}

// config is the tls.Config BuildKit's client builds from c (the files were checked).
func (c *TLSConfig) config(host string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: c.ServerName, MinVersion: tls.VersionTLS12}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if c.CACert != "" {
		b, err := os.ReadFile(c.CACert)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(b) {
			return nil, errors.New("no CA certificate")
		}
	}
	if c.Cert != "" {
		kp, err := tls.LoadX509KeyPair(c.Cert, c.Key)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{kp}
	}
	return cfg, nil
}

// probeTLS handshakes with hostport and waits briefly for the server's first answer
// without sending anything: nil when the server accepted the handshake (or its answer
// did not come in time), else the handshake's or the server's alert error.
func probeTLS(ctx context.Context, hostport string, cfg *tls.Config) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			return nil // not even a TCP connection: not a TLS matter
		}
		return err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetReadDeadline(deadline)
	if _, err := conn.Read(make([]byte, 1)); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		return err
	}
	return nil
}

// speaksTLS reports whether hostport completes a TLS handshake, its certificate unchecked.
func speaksTLS(ctx context.Context, hostport string) bool {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // nothing is sent: it only asks whether the server speaks TLS
	conn, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
