package catalog

import "gopkg.in/yaml.v3"

// Server is one servers/<name>/server.yaml entry of Docker's MCP registry format.
// The whole upstream schema is modelled so that well-formed files load without loss;
// the fields mcpbuild acts on (name, image, type, source) are validated strictly.
type Server struct {
	Name        string   `yaml:"name" json:"name"`
	Image       string   `yaml:"image,omitempty" json:"image,omitempty"`
	Type        string   `yaml:"type" json:"type"` // server | remote | poci
	LongLived   bool     `yaml:"longLived,omitempty" json:"longLived,omitempty"`
	Dynamic     *Dynamic `yaml:"dynamic,omitempty" json:"dynamic,omitempty"`
	Meta        Meta     `yaml:"meta,omitempty" json:"meta,omitempty"`
	About       About    `yaml:"about,omitempty" json:"about,omitempty"`
	Source      Source   `yaml:"source,omitempty" json:"source,omitempty"`
	Remote      *Remote  `yaml:"remote,omitempty" json:"remote,omitempty"`
	Run         *Run     `yaml:"run,omitempty" json:"run,omitempty"`
	Config      *Config  `yaml:"config,omitempty" json:"config,omitempty"`
	OAuth       []OAuth  `yaml:"oauth,omitempty" json:"oauth,omitempty"`
	Tools       []Tool   `yaml:"tools,omitempty" json:"tools,omitempty"`
	Requirement string   `yaml:"requirement,omitempty" json:"requirement,omitempty"`

	// Path is the file the entry was loaded from (not part of the YAML).
	Path string `yaml:"-" json:"-"`

	pos map[string]*yaml.Node // dotted field path -> value node, for Position
}

// Position returns the line and column of a field's value in the file ("source.commit",
// "tools[0].container.image"; "" is the top-level mapping), or 0, 0 when the file does
// not set it.
func (s *Server) Position(field string) (line, col int) {
	if n, ok := s.pos[field]; ok && n != nil {
		return n.Line, n.Column
	}
	return 0, 0
}

// Source says where a "server" entry's image is built from.
type Source struct {
	Project     string `yaml:"project,omitempty" json:"project,omitempty"`
	Upstream    string `yaml:"upstream,omitempty" json:"upstream,omitempty"`
	Branch      string `yaml:"branch,omitempty" json:"branch,omitempty"`
	Commit      string `yaml:"commit,omitempty" json:"commit,omitempty"`
	Directory   string `yaml:"directory,omitempty" json:"directory,omitempty"`
	Dockerfile  string `yaml:"dockerfile,omitempty" json:"dockerfile,omitempty"`
	BuildTarget string `yaml:"buildTarget,omitempty" json:"buildTarget,omitempty"`
}

// Pin is what an image must have been built from: the thing verify compares against.
type Pin struct {
	Project   string `json:"project"`
	Commit    string `json:"commit"`
	Directory string `json:"directory,omitempty"`
}

// The OCI image labels that name the pin an image was built from: mcpbuild sets both on
// the image config, the signature carries the revision as a claim of the same name, and
// mcpverify compares both with the pin.
const (
	RevisionLabel = "org.opencontainers.image.revision"
	SourceLabel   = "org.opencontainers.image.source"
)

// Pin returns the entry's source pin.
func (s *Server) Pin() Pin {
	return Pin{Project: s.Source.Project, Commit: s.Source.Commit, Directory: s.Source.Directory}
}

// Buildable reports whether the entry is built from source (type "server").
func (s *Server) Buildable() bool { return s.Type == TypeServer }

// Entry types.
const (
	TypeServer = "server"
	TypeRemote = "remote"
	TypePOCI   = "poci"
)
