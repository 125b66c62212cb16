package catalog

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// Under a repository prefix an image keeps its path and loses its registry host, like
// ko's KO_DOCKER_REPO; FindByImage given the same prefix finds the entry there again.
func TestImageRefPrefix(t *testing.T) {
	servers := []*Server{
		{Name: "a", Image: "mcp/a"},
		{Name: "b", Image: "ghcr.io/org/b:1.0"},
		{Name: "d", Image: "localhost:5000/d"},
		{Name: "e", Image: "e"},
	}
	want := map[string]string{
		"a": "127.0.0.1:15000/team/mcp/a:v1",
		"b": "127.0.0.1:15000/team/org/b:v1",
		"d": "127.0.0.1:15000/team/d:v1",
		"e": "127.0.0.1:15000/team/e:v1",
	}
	d := Destination{Prefix: "127.0.0.1:15000/team"}
	for _, s := range servers {
		ref, err := s.ImageRef(d, "v1")
		if err != nil || ref.String() != want[s.Name] {
			t.Fatalf("ImageRef(%s, %+v) = %v, %v; want %s", s.Image, d, ref, err, want[s.Name])
		}
		got, err := FindByImage(servers, ref, d)
		if err != nil || got != s {
			t.Errorf("FindByImage(%s, prefix) = %v, %v; want %s", ref, got, err, s.Name)
		}
		if got, err := FindByImage(servers, ref, Destination{}); err != nil || got != nil {
			t.Errorf("FindByImage(%s) without the prefix = %v, %v; want none", ref, got, err)
		}
	}
	host := Destination{Prefix: "ghcr.io"}
	if ref, err := servers[1].ImageRef(host, ""); err != nil || ref.String() != "ghcr.io/org/b:latest" {
		t.Errorf("ImageRef under a bare host = %v, %v", ref, err)
	}
	other, _ := name.ParseReference("127.0.0.1:15000/other/mcp/a")
	if got, err := FindByImage(servers, other, d); err != nil || got != nil {
		t.Errorf("FindByImage(outside the prefix) = %v, %v; want none", got, err)
	}
}

// Every bad prefix, and a prefix with a registry, is refused, naming the problem.
func TestDestinationBad(t *testing.T) {
	for _, c := range []struct {
		d    Destination
		want string
	}{
		{Destination{Registry: "r.io", Prefix: "r.io/x"}, "exclude each other"},
		{Destination{Prefix: "acme/mcp"}, "must be a registry host"},
		{Destination{Prefix: "mcp"}, "must be a registry host"},
		{Destination{Prefix: "https://ghcr.io/acme"}, "without scheme"},
		{Destination{Prefix: "ghcr.io/acme/"}, "empty path component"},
		{Destination{Prefix: "ghcr.io//acme"}, "empty path component"},
		{Destination{Prefix: "ghcr.io/Acme"}, "can only contain"},
		{Destination{Prefix: "ghcr.io/acme:v1"}, "without tag or digest"},
		{Destination{Prefix: "ghcr.io/acme@sha256:" + strings.Repeat("a", 64)}, "without tag or digest"},
		{Destination{Prefix: "r..io/acme"}, "not a valid registry host"},
		{Destination{Prefix: "127.0.0.1:99999/x"}, "port"},
		{Destination{Prefix: "127.0.0.1:99999"}, "port"},
		{Destination{Prefix: "ghcr.io/" + strings.Repeat("a", 250)}, "too long"},
	} {
		err := c.d.Check()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v.Check() = %v; want an error containing %q", c.d, err, c.want)
		}
		if _, err := (&Server{Image: "mcp/x"}).ImageRef(c.d, ""); err == nil {
			t.Errorf("ImageRef(%+v) succeeded", c.d)
		}
	}
	for _, ok := range []string{"ghcr.io/acme/mcp", "127.0.0.1:15000/team", "localhost:5000", "localhost", "[::1]:5000/x", "docker.io/acme"} {
		if err := (Destination{Prefix: ok}).Check(); err != nil {
			t.Errorf("prefix %q: %v", ok, err)
		}
	}
}

func TestCheckTag(t *testing.T) {
	for _, bad := range []string{"", "-x", ".x", "a b", "a,b", "a:b", strings.Repeat("a", 129)} {
		if CheckTag(bad) == nil {
			t.Errorf("CheckTag(%q) = nil", bad)
		}
	}
	for _, ok := range []string{"latest", "v1.2.3", "_x", "A-b_c.d", strings.Repeat("a", 128)} {
		if err := CheckTag(ok); err != nil {
			t.Errorf("CheckTag(%q) = %v", ok, err)
		}
	}
}
