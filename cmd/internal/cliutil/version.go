package cliutil

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// VersionMediaType identifies version 1 of `version -o json`.
const VersionMediaType = "application/vnd.mcpbuild.version.v1+json"

// Version is what a binary knows of its own build, as Go's build info has it: `go
// install module@v1.2.3` records the module version; a build from a git checkout records
// the VCS revision, its commit time and whether the tree was modified, and as version a
// pseudo-version naming the commit (Go 1.24 and later) or "(devel)".
type Version struct {
	MediaType string `json:"mediaType"`
	Binary    string `json:"binary"`
	Module    string `json:"module"`             // module path
	Version   string `json:"version"`            // module version (pseudo-version or "(devel)" from a checkout)
	Revision  string `json:"revision,omitempty"` // vcs.revision: the commit built
	Time      string `json:"time,omitempty"`     // vcs.time: its commit time (RFC 3339)
	Modified  bool   `json:"modified"`           // vcs.modified: uncommitted changes were built
	Go        string `json:"go"`                 // the Go toolchain
}

// ReadVersion is binary's Version from bi (debug.ReadBuildInfo's); without build info
// (nil), only the binary and the Go version are known and the version is "unknown".
func ReadVersion(binary string, bi *debug.BuildInfo) Version {
	v := Version{MediaType: VersionMediaType, Binary: binary, Version: "unknown", Go: runtime.Version()}
	if bi == nil {
		return v
	}
	v.Module, v.Go = bi.Main.Path, bi.GoVersion
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// Short is the one line of --version: "<binary> <version>[ (<revision>[, modified])]".
func (v Version) Short() string {
	s := v.Binary + " " + v.Version
	switch {
	case v.Revision != "" && v.Modified:
		s += " (" + v.Revision + ", modified)"
	case v.Revision != "":
		s += " (" + v.Revision + ")"
	}
	return s
}

// Write prints v as text (one "field: value" line each) or, format "json", one JSON object.
func (v Version) Write(w io.Writer, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s\n", v.Binary+":", v.Version)
	for _, f := range [][2]string{{"module", v.Module}, {"revision", v.Revision}, {"time", v.Time}} {
		if f[1] != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", f[0], f[1])
		}
	}
	if v.Revision != "" {
		fmt.Fprintf(tw, "modified:\t%t\n", v.Modified)
	}
	fmt.Fprintf(tw, "go:\t%s\n", v.Go)
	return tw.Flush()
}

// AddVersion gives root a `version [-o text|json]` command and a --version flag, both
// reading debug.ReadBuildInfo. The command skips root's persistent hooks: it reads no
// environment and cannot fail on it.
func AddVersion(root *cobra.Command) {
	binary := root.Name()
	read := func() Version { return ReadVersion(binary, readBuildInfo()) }
	root.Version = read().Short()
	root.SetVersionTemplate("{{.Version}}\n")
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the module version and commit this binary was built from",
		Long: `version prints what Go's build info records: the module path and version (a
pseudo-version or "(devel)" when built from a checkout), the VCS revision, its commit time, whether the tree had
uncommitted changes, and the Go version. -o json prints one object (mediaType
` + VersionMediaType + `).`,
		Args:              cobra.NoArgs,
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" {
				return Usagef("--output %q: want text or json", output)
			}
			return read().Write(cmd.OutOrStdout(), output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "format on stdout: text or json")
	root.AddCommand(cmd)
}

// readBuildInfo is this binary's build info, nil when it has none.
func readBuildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}
