package build

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/moby/buildkit/client"
	// BuildKit's connection helpers register their schemes with connhelper, which
	// client.New consults: docker-container://NAME, kube-pod://POD?namespace=NS, ssh://HOST.
	// They dial through the docker, kubectl or ssh binary running `buildctl dial-stdio`.
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer"
	_ "github.com/moby/buildkit/client/connhelper/kubepod"
	_ "github.com/moby/buildkit/client/connhelper/ssh"
)

// Schemes are the BuildKit address schemes NewBuildKit accepts: a unix socket, plain or
// TLS TCP, and BuildKit's connection helpers.
var Schemes = []string{"unix", "tcp", "docker-container", "kube-pod", "ssh"}

// CheckAddress reports whether NewBuildKit can dial addr: unix:///path, tcp://host:port or
// one of the helpers' schemes with a host (docker-container://NAME, kube-pod://POD,
// ssh://[USER@]HOST[:PORT]).
func CheckAddress(addr string) error {
	if !strings.Contains(addr, "://") {
		return fmt.Errorf("buildkit address %q: no scheme; want one of %s://", addr, strings.Join(Schemes, "://, "))
	}
	u, err := url.Parse(addr)
	if err != nil {
		return fmt.Errorf("buildkit address %q: %w", addr, err)
	}
	switch {
	case !slices.Contains(Schemes, u.Scheme):
		return fmt.Errorf("buildkit address %q: scheme %q is not one of %s://", addr, u.Scheme, strings.Join(Schemes, "://, "))
	case u.Scheme == "unix" && u.Path == "":
		return fmt.Errorf("buildkit address %q: want unix:///path/to/buildkitd.sock", addr)
	case u.Scheme == "tcp" && (u.Hostname() == "" || u.Port() == ""):
		return fmt.Errorf("buildkit address %q: want tcp://host:port", addr)
	case u.Scheme != "unix" && u.Scheme != "tcp" && u.Host == "":
		return fmt.Errorf("buildkit address %q: want %s://NAME", addr, u.Scheme)
	}
	return nil
}

// clientOptions checks addr against the connection options and returns BuildKit's
// client options for them: TLS only over tcp://.
func (o *options) clientOptions(addr string) ([]client.ClientOpt, error) {
	if err := CheckAddress(addr); err != nil {
		return nil, err
	}
	if o.tls == nil {
		return nil, nil
	}
	if scheme, _, _ := strings.Cut(addr, "://"); scheme != "tcp" {
		return nil, fmt.Errorf("buildkit address %q: TLS options need a tcp://host:port address, not %s://", addr, scheme)
	}
	c := o.tls
	var co []client.ClientOpt
	if c.CACert != "" {
		co = append(co, client.WithServerConfig(c.ServerName, c.CACert))
	} else {
		co = append(co, client.WithServerConfigSystem(c.ServerName))
	}
	if c.Cert != "" {
		co = append(co, client.WithCredentials(c.Cert, c.Key))
	}
	return co, nil
}
