package publish_test

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

const pinA = signtest.PinA

// server returns a buildable catalog entry <name> (image mcp/<name>) pinned to commit.
func server(name, commit string) *catalog.Server {
	return &catalog.Server{Name: name, Image: "mcp/" + name, Type: catalog.TypeServer,
		Source: catalog.Source{Project: "https://example.com/" + name + ".git", Commit: commit}}
}

// job returns the Job publishing server(name, commit) to host.
func job(t *testing.T, host, name, commit string) publish.Job {
	t.Helper()
	j, err := publish.NewJob(server(name, commit), catalog.Destination{Registry: host}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// tagOf is where the fake builds push s in host: host/mcp/<name>:latest, computed here
// independently of publish.NewJob.
func tagOf(t *testing.T, host string, s *catalog.Server) name.Tag {
	t.Helper()
	tag, err := name.NewTag(host + "/mcp/" + s.Name + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

// pushBuild is a fake build: it pushes a random image labelled with the pin to
// host/mcp/<server>:latest and returns it with a provenance statement.
func pushBuild(t *testing.T, host string) func(*catalog.Server) (*build.Result, error) {
	return func(s *catalog.Server) (*build.Result, error) {
		img, err := random.Image(32, 1)
		if err != nil {
			return nil, err
		}
		cf, _ := img.ConfigFile()
		cf.Config.Labels = map[string]string{catalog.RevisionLabel: s.Source.Commit}
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			return nil, err
		}
		tag := tagOf(t, host, s)
		if err := remote.Write(tag, img); err != nil {
			return nil, err
		}
		d, _ := img.Digest()
		dig := tag.Context().Digest(d.String())
		return &build.Result{Server: s.Name, Image: dig, Tag: tag, Commit: s.Source.Commit, Provenance: signtest.Statement(dig)}, nil
	}
}

// reuseBuild is a fake build pushing the existing image ref (by digest) to the server's
// tag again, as a reproducible rebuild of an earlier pin does.
func reuseBuild(t *testing.T, host, ref string) func(*catalog.Server) (*build.Result, error) {
	return func(s *catalog.Server) (*build.Result, error) {
		d, err := name.NewDigest(ref)
		if err != nil {
			return nil, err
		}
		img, err := remote.Image(d)
		if err != nil {
			return nil, err
		}
		tag := tagOf(t, host, s)
		if err := remote.Write(tag, img); err != nil {
			return nil, err
		}
		return &build.Result{Server: s.Name, Image: d, Tag: tag, Provenance: signtest.Statement(d)}, nil
	}
}

// newPublisher returns a Publisher building with b and signing with svc.
func newPublisher(t *testing.T, b build.Builder, svc *sign.Service, opts ...publish.Option) *publish.Publisher {
	t.Helper()
	p, err := publish.New(b, svc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// publishOne publishes j with b and svc and returns its report.
func publishOne(t *testing.T, b build.Builder, svc *sign.Service, j publish.Job) publish.Report {
	t.Helper()
	return newPublisher(t, b, svc).Publish(context.Background(), []publish.Job{j})[0]
}
