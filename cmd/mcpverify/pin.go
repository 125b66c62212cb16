package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// defaultCatalog is used when --catalog is not given and it exists.
const defaultCatalog = "servers"

type catalogOptions struct {
	dir    string
	prefix string // --repository-prefix, as given to mcpbuild
}

func (o *catalogOptions) AddFlags(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&o.dir, "catalog", "", "catalog directory of <name>/server.yaml (default ./"+defaultCatalog+" when it exists)")
	cmd.PersistentFlags().StringVar(&o.prefix, "repository-prefix", "", "HOST[:PORT][/PATH] the images were published under (mcpbuild --repository-prefix): catalog entries are found there too, and audit looks there")
}

// destination is where mcpbuild put the catalog's images: --repository-prefix (checked),
// else the registry (--registry or $MCPBUILD_REGISTRY, possibly empty). registryGiven:
// --registry was given on the command line, which a prefix excludes.
func (c *common) destination(registryGiven bool) (catalog.Destination, error) {
	p := c.catalog.prefix
	if p == "" {
		return catalog.Destination{Registry: c.reg.registry}, nil
	}
	if registryGiven {
		return catalog.Destination{}, cliutil.Usagef("--registry and --repository-prefix exclude each other: audit looks for the images under --repository-prefix")
	}
	if err := catalog.CheckPrefix(p); err != nil {
		return catalog.Destination{}, cliutil.Usagef("--repository-prefix %q: %v", p, err)
	}
	return catalog.Destination{Prefix: p}, nil
}

// dirOrDefault is --catalog, else ./servers when it exists. required: no catalog at all
// is a usage error (the pin must come from somewhere); else "" means none.
func (o *catalogOptions) dirOrDefault(required bool) (string, error) {
	if o.dir != "" {
		return o.dir, nil
	}
	if st, err := os.Stat(defaultCatalog); err != nil || !st.IsDir() {
		if required {
			return "", cliutil.Usagef("no pin: give --commit, or --catalog DIR (./%s does not exist)", defaultCatalog)
		}
		return "", nil
	}
	return defaultCatalog, nil
}

// load reads the catalog (see dirOrDefault). A catalog with invalid entries is a usage
// error naming them: a pin is only taken from a catalog that is valid as a whole.
func (o *catalogOptions) load(required bool) ([]*catalog.Server, error) {
	dir, err := o.dirOrDefault(required)
	if dir == "" {
		return nil, err
	}
	servers, _, err := catalog.Load([]string{filepath.Join(dir, "...")}, catalog.Options{})
	if err != nil {
		return nil, cliutil.Usagef("loading catalog %s: %v", dir, err)
	}
	return servers, nil
}

// files reads every entry of the catalog (which must exist) with its own diagnostics, for
// audit: an invalid entry is reported as such and does not stop the others. A catalog
// directory holding no server.yaml is a usage error.
func (o *catalogOptions) files() ([]*catalog.File, error) {
	dir, err := o.dirOrDefault(true)
	if err != nil {
		return nil, err
	}
	files, err := catalog.LoadFiles([]string{filepath.Join(dir, "...")}, catalog.Options{})
	if err != nil {
		return nil, cliutil.Usagef("loading catalog %s: %v", dir, err)
	}
	return files, nil
}

// serverRef is where a catalog entry's image was published under dst: with a registry,
// at <registry>/<repository> exactly as mcpbuild pushes it (even when the image names a
// registry of its own); with a prefix, at <prefix>/<path>; else at the repository's own
// reference. Tag latest; a tag the catalog's image carries is not used
// (catalog.Server.ImageRef, as mcpbuild).
func serverRef(s *catalog.Server, dst catalog.Destination) (name.Reference, error) {
	return s.ImageRef(dst, "")
}

// pinFor finds ref's pin: --commit (the project still comes from a matching catalog
// entry, for the provenance check), else the catalog entry ref is the image of
// (catalog.FindByImage: a catalog image without a registry host matches that repository
// on any registry, the host coming from the argument, or --registry for arguments without
// one, or under --repository-prefix; two matching entries are a usage error).
func (c *common) pinFor(ref name.Reference, servers []*catalog.Server, commit string) (catalog.Pin, error) {
	dst, err := c.destination(false)
	if err != nil {
		return catalog.Pin{}, err
	}
	match, err := catalog.FindByImage(servers, ref, catalog.Destination{Prefix: dst.Prefix})
	if err != nil {
		return catalog.Pin{}, cliutil.Usagef("%v", err)
	}
	switch {
	case commit != "":
		p := catalog.Pin{Commit: commit}
		if match != nil {
			p.Project, p.Directory = match.Source.Project, match.Source.Directory
		}
		return p, nil
	case match == nil:
		return catalog.Pin{}, cliutil.Usagef("no pin for %s: no catalog entry has this image; give --commit", ref.Context())
	case !match.Buildable():
		return catalog.Pin{}, cliutil.Usagef("catalog entry %s is of type %q: it has no source pin", match.Name, match.Type)
	case !catalog.IsCommit(match.Source.Commit):
		return catalog.Pin{}, &cliutil.UsageError{Err: fmt.Errorf("catalog entry %s: %w", match.Name, errors.New("source.commit is not a 40-hex commit"))}
	}
	return match.Pin(), nil
}
