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

type catalogOptions struct{ dir string }

func (o *catalogOptions) AddFlags(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&o.dir, "catalog", "", "catalog directory of <name>/server.yaml (default ./"+defaultCatalog+" when it exists)")
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

// serverRef is where a catalog entry's image was published: with --registry, at
// <registry>/<repository> exactly as mcpbuild pushes it (even when the image names a
// registry of its own); without, at the repository's own reference. Tag latest; a tag the
// catalog's image carries is not used (catalog.Server.ImageRef, as mcpbuild).
func (c *common) serverRef(s *catalog.Server) (name.Reference, error) {
	return s.ImageRef(c.reg.registry, "")
}

// pinFor finds ref's pin: --commit (the project still comes from a matching catalog
// entry, for the provenance check), else the catalog entry ref is the image of
// (catalog.FindByImage: a catalog image without a registry host matches that repository
// on any registry, the host coming from the argument, or --registry for arguments without
// one; two matching entries are a usage error).
func (c *common) pinFor(ref name.Reference, servers []*catalog.Server, commit string) (catalog.Pin, error) {
	match, err := catalog.FindByImage(servers, ref)
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
