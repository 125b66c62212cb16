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

// schemes are the BuildKit address schemes NewBuildKit accepts: a unix socket, plain or
// TLS TCP, and BuildKit's connection helpers.
var schemes = []string{"unix", "tcp", "docker-container", "kube-pod", "ssh"}

// CheckAddress reports whether NewBuildKit can dial addr: unix:///path, tcp://host:port or
// one of the helpers' schemes with a host (docker-container://NAME, kube-pod://POD,
// ssh://[USER@]HOST[:PORT]).
func CheckAddress(addr string) error {
	bad := func(why string) error { return fmt.Errorf("buildkit address %q: %s; %s", addr, why, wantAddress) }
	if !strings.Contains(addr, "://") {
		return bad("no scheme")
	}
	u, err := url.Parse(addr)
	if err != nil {
		return bad(err.Error())
	}
	switch {
	case !slices.Contains(schemes, u.Scheme):
		return bad(fmt.Sprintf("unknown scheme %q", u.Scheme))
	case u.Scheme == "unix" && u.Path == "":
		return bad("no socket path")
	case u.Scheme == "tcp" && (u.Hostname() == "" || u.Port() == ""):
		return bad("no host or port")
	case u.Scheme != "unix" && u.Scheme != "tcp" && u.Host == "":
		return bad("no " + u.Scheme + " target")
	}
	return nil
}

const wantAddress = "want unix:///path/to/buildkitd.sock, tcp://host:port, docker-container://CONTAINER, " +
	"kube-pod://POD[?namespace=NS] or ssh://[USER@]HOST[:PORT]"

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
