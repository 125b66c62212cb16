// Package trustsrc is where trust material comes from, checked in one place for the
// libraries and the commands: local files (a public key, a trusted root) read as regular
// files within a size bound, and the Rekor URL a log key is fetched from, https unless the
// host is loopback.
package trustsrc

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
)

// Bounds of local trust files: a PEM public key, a Sigstore trusted_root.json.
const (
	MaxKeyFile         = 1 << 20
	MaxTrustedRootFile = 4 << 20
)

// ReadFile reads the regular file at path, of at most limit bytes; a device, FIFO or
// directory (/dev/zero, a pipe) or a larger file is an error naming path.
func ReadFile(path string, limit int64) ([]byte, error) {
	// Non-blocking: opening a FIFO must not wait for a writer; it is refused below.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, st.Mode().Type())
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}

// CheckRekorURL is the one rule for a Rekor log's URL, where mcpbuild uploads entries and
// mcpverify fetches the log key: https, or http to a loopback host (localhost,
// 127.0.0.0/8, ::1: a local log), with a host and without credentials, query or fragment.
// Plain http elsewhere would hand the log key, trusted on first use, and the entries to
// anyone on the path. The error quotes s.
func CheckRekorURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	switch {
	case u.Hostname() == "":
		return fmt.Errorf("%q: no host", s)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Errorf("%q: want http(s)://HOST[:PORT][/PATH], without credentials, a query or a fragment", s)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Errorf("%q: the log key would be fetched in plaintext: use https (http only to a loopback host)", s)
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
