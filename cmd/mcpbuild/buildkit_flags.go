package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// defaultBuildkitAddr is where buildctl looks when neither --addr nor $BUILDKIT_HOST is
// given: a root buildkitd's socket.
const defaultBuildkitAddr = "unix:///run/buildkit/buildkitd.sock"

// buildkitOptions say how to reach buildkitd: its address and TLS, with buildctl's flag
// names. Each flag defaults to its environment variable.
type buildkitOptions struct {
	addrs      []string // --buildkit-addr, repeatable: several build as a build.Fleet
	caCert     string
	cert       string
	key        string
	serverName string
	tlsDir     string
}

// AddFlags registers the BuildKit connection flags on cmd.
func (o *buildkitOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&o.addrs, "buildkit-addr", nil, "BuildKit address: unix://, tcp://, docker-container://, kube-pod:// or ssh:// (default $"+cliutil.EnvBuildkitHost+", else "+defaultBuildkitAddr+"); "+
		"repeat it to spread the servers over several daemons (--jobs then counts per daemon, the TLS flags apply to every tcp:// one)")
	f.StringVar(&o.caCert, "tlscacert", "", "TLS to a tcp:// buildkitd: CA certificate that signed buildkitd's (default $"+cliutil.EnvBuildkitTLSCACert+"; none: the system's CAs)")
	f.StringVar(&o.cert, "tlscert", "", "TLS client certificate, with --tlskey (default $"+cliutil.EnvBuildkitTLSCert+")")
	f.StringVar(&o.key, "tlskey", "", "TLS client key, with --tlscert (default $"+cliutil.EnvBuildkitTLSKey+")")
	f.StringVar(&o.serverName, "tlsservername", "", "name buildkitd's certificate must carry (default $"+cliutil.EnvBuildkitTLSServerName+", else the address's host)")
	f.StringVar(&o.tlsDir, "tlsdir", "", "directory with ca.pem, cert.pem and key.pem (or ca.crt, tls.crt, tls.key) instead of --tlscacert, --tlscert and --tlskey (default $"+cliutil.EnvBuildkitTLSDir+")")
}

// Validate checks the flags alone (the environment is read when connecting); every error
// is a usage error. It does not change o.
func (o *buildkitOptions) Validate() error {
	seen := map[string]bool{}
	for _, a := range o.addrs {
		if err := build.CheckAddress(a); err != nil {
			return cliutil.Usagef("--buildkit-addr: %v", err)
		}
		if seen[a] {
			return cliutil.Usagef("--buildkit-addr %s given twice", a)
		}
		seen[a] = true
	}
	tc, err := o.tlsConfig(func(string) string { return "" })
	if err != nil {
		return err
	}
	if tc != nil && len(o.addrs) > 0 && !o.anyTCP() {
		return errTLSNeedsTCP(o.addrs[0])
	}
	return nil
}

// anyTCP reports whether one of the --buildkit-addr is tcp://: with several, TLS applies
// to those.
func (o *buildkitOptions) anyTCP() bool {
	return slices.ContainsFunc(o.addrs, func(a string) bool { return strings.HasPrefix(a, "tcp://") })
}

// connection is the BuildKit address (buildkitAddress) and the library options for its
// TLS settings.
func (o *buildkitOptions) connection(getenv func(string) string) (string, []build.Option, error) {
	first := ""
	if len(o.addrs) > 0 {
		first = o.addrs[0]
	}
	addr := buildkitAddress(first, getenv)
	if err := build.CheckAddress(addr); err != nil {
		return "", nil, cliutil.Usagef("BuildKit address (--buildkit-addr or $%s): %v", cliutil.EnvBuildkitHost, err)
	}
	tc, err := o.tlsConfig(getenv)
	if err != nil || tc == nil {
		return addr, nil, err
	}
	if !strings.HasPrefix(addr, "tcp://") {
		return "", nil, errTLSNeedsTCP(addr)
	}
	return addr, []build.Option{build.WithTLS(*tc)}, nil
}

func errTLSNeedsTCP(addr string) error {
	scheme, _, _ := strings.Cut(addr, "://")
	return cliutil.Usagef("TLS options (--tls* or $MCPBUILD_BUILDKIT_TLS_*) need a tcp://host:port BuildKit address, and %s is %s://", addr, scheme)
}

// tlsSetting is one TLS flag resolved: its value and where it came from, for messages.
type tlsSetting struct{ value, from string }

func pick(flag, flagName, env string, getenv func(string) string) tlsSetting {
	if flag != "" {
		return tlsSetting{flag, "--" + flagName}
	}
	if v := getenv(env); v != "" {
		return tlsSetting{v, "$" + env}
	}
	return tlsSetting{}
}

// tlsConfig resolves the TLS settings, each flag else its variable: nil when none is set.
// A directory together with files, a certificate without its key (or the reverse), and a
// file that cannot be read or parsed are usage errors naming the flag and the file.
func (o *buildkitOptions) tlsConfig(getenv func(string) string) (*build.TLSConfig, error) {
	ca := pick(o.caCert, "tlscacert", cliutil.EnvBuildkitTLSCACert, getenv)
	cert := pick(o.cert, "tlscert", cliutil.EnvBuildkitTLSCert, getenv)
	key := pick(o.key, "tlskey", cliutil.EnvBuildkitTLSKey, getenv)
	name := pick(o.serverName, "tlsservername", cliutil.EnvBuildkitTLSServerName, getenv)
	dir := pick(o.tlsDir, "tlsdir", cliutil.EnvBuildkitTLSDir, getenv)
	if ca.value == "" && cert.value == "" && key.value == "" && name.value == "" && dir.value == "" {
		return nil, nil
	}
	if dir.value != "" {
		for _, s := range []tlsSetting{ca, cert, key} {
			if s.value != "" {
				return nil, cliutil.Usagef("%s and %s together: give the directory or the files, not both", dir.from, s.from)
			}
		}
		var err error
		if ca, cert, key, err = filesIn(dir); err != nil {
			return nil, err
		}
	}
	switch {
	case cert.value != "" && key.value == "":
		return nil, cliutil.Usagef("%s %s without --tlskey: a client certificate needs its key", cert.from, cert.value)
	case key.value != "" && cert.value == "":
		return nil, cliutil.Usagef("%s %s without --tlscert: a client key needs its certificate", key.from, key.value)
	}
	tc := build.TLSConfig{CACert: ca.value, Cert: cert.value, Key: key.value, ServerName: name.value}
	if err := tc.Check(); err != nil {
		return nil, cliutil.Usagef("BuildKit TLS (%s): %v", froms(ca, cert, key, dir), err)
	}
	return &tc, nil
}

// filesIn finds the CA, certificate and key in a --tlsdir, by buildctl's file names.
func filesIn(dir tlsSetting) (ca, cert, key tlsSetting, err error) {
	find := func(names ...string) (tlsSetting, error) {
		for _, n := range names {
			p := filepath.Join(dir.value, n)
			_, err := os.Stat(p)
			if err == nil {
				return tlsSetting{p, dir.from}, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return tlsSetting{}, cliutil.Usagef("%s: %v", dir.from, err)
			}
		}
		return tlsSetting{}, cliutil.Usagef("%s %s: no %s in it", dir.from, dir.value, strings.Join(names, " or "))
	}
	if ca, err = find("ca.pem", "ca.crt"); err != nil {
		return
	}
	if cert, err = find("cert.pem", "tls.crt"); err != nil {
		return
	}
	key, err = find("key.pem", "tls.key")
	return
}

// froms lists where the set settings came from, once each.
func froms(ss ...tlsSetting) string {
	var out []string
	for _, s := range ss {
		if s.from != "" && !slices.Contains(out, s.from) {
			out = append(out, s.from)
		}
	}
	return strings.Join(out, ", ")
}

// buildkitAddress is --buildkit-addr, else $BUILDKIT_HOST, else buildctl's default
// socket. The local stack's is in $BUILDKIT_HOST once .stack/env is sourced.
func buildkitAddress(flag string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	if env := getenv(cliutil.EnvBuildkitHost); env != "" {
		return env
	}
	return defaultBuildkitAddr
}
