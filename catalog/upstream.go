package catalog

import (
	"bytes"
	"encoding/json"
)

// The types below mirror the rest of Docker's MCP registry schema (docker/mcp-registry
// pkg/servers/types.go). mcpbuild does not act on most of them; they are modelled so that
// well-formed upstream files load without warnings and can be re-emitted as JSON.

// Dynamic marks entries whose tool list is only known at run time.
type Dynamic struct {
	Tools bool `yaml:"tools,omitempty" json:"tools,omitempty"`
}

// Meta holds catalog classification.
type Meta struct {
	Category string   `yaml:"category,omitempty" json:"category,omitempty"`
	Tags     []string `yaml:"tags,omitempty" json:"tags,omitempty"`
}

// About is the human-facing description of an entry.
type About struct {
	Title       string `yaml:"title,omitempty" json:"title,omitempty"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Icon        string `yaml:"icon,omitempty" json:"icon,omitempty"`
}

// Remote describes a hosted server (type "remote").
type Remote struct {
	TransportType string            `yaml:"transport_type,omitempty" json:"transport_type,omitempty"`
	URL           string            `yaml:"url,omitempty" json:"url,omitempty"`
	Headers       map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
}

// Run holds container run settings for a "server" entry.
type Run struct {
	Command        []string          `yaml:"command,omitempty" json:"command,omitempty"`
	Volumes        []string          `yaml:"volumes,omitempty" json:"volumes,omitempty"`
	User           string            `yaml:"user,omitempty" json:"user,omitempty"`
	Env            map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	AllowHosts     []string          `yaml:"allowHosts,omitempty" json:"allowHosts,omitempty"`
	DisableNetwork bool              `yaml:"disableNetwork,omitempty" json:"disableNetwork,omitempty"`
}

// Config is what a user supplies to run the server: secrets, environment, parameters.
type Config struct {
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Secrets     []Secret `yaml:"secrets,omitempty" json:"secrets,omitempty"`
	Env         []Env    `yaml:"env,omitempty" json:"env,omitempty"`
	Parameters  *Schema  `yaml:"parameters,omitempty" json:"parameters,omitempty"`
	AnyOf       []AnyOf  `yaml:"anyOf,omitempty" json:"anyOf,omitempty"`
}

// Secret is a secret passed to the server through an environment variable.
type Secret struct {
	Name        string `yaml:"name" json:"name"`
	Env         string `yaml:"env" json:"env"`
	Example     string `yaml:"example,omitempty" json:"example,omitempty"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Required    *bool  `yaml:"required,omitempty" json:"required,omitempty"`
}

// Env is a (templated) environment variable of the server.
type Env struct {
	Name    string `yaml:"name" json:"name"`
	Example any    `yaml:"example,omitempty" json:"example,omitempty"`
	Value   string `yaml:"value,omitempty" json:"value,omitempty"`
}

// AnyOf lists alternative sets of required parameters.
type AnyOf struct {
	Required []string `yaml:"required,omitempty" json:"required,omitempty"`
}

// Schema is the JSON-Schema subset used for config.parameters and tool parameters.
// Docker's own type keeps type, description, properties, required, items, anyOf and
// default; the other JSON-Schema keywords seen in the registry (title, enum, example,
// format, pattern) are kept too, since they are well-formed JSON Schema.
type Schema struct {
	Type        string     `yaml:"type,omitempty" json:"type,omitempty"`
	Title       string     `yaml:"title,omitempty" json:"title,omitempty"`
	Description string     `yaml:"description,omitempty" json:"description,omitempty"`
	Properties  Properties `yaml:"properties,omitempty" json:"properties,omitempty"`
	Required    []string   `yaml:"required,omitempty" json:"required,omitempty"`
	Items       *Schema    `yaml:"items,omitempty" json:"items,omitempty"`
	AnyOf       []AnyOf    `yaml:"anyOf,omitempty" json:"anyOf,omitempty"`
	Default     any        `yaml:"default,omitempty" json:"default,omitempty"`
	Enum        []any      `yaml:"enum,omitempty" json:"enum,omitempty"`
	Example     any        `yaml:"example,omitempty" json:"example,omitempty"`
	Format      string     `yaml:"format,omitempty" json:"format,omitempty"`
	Pattern     string     `yaml:"pattern,omitempty" json:"pattern,omitempty"`
}

// Property is one named entry of a Schema's properties, in file order.
type Property struct {
	Name   string
	Schema Schema
}

// Properties keeps a schema's properties in the order the file lists them.
type Properties []Property

// MarshalJSON emits the properties as a JSON object in file order.
func (p Properties) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, prop := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(prop.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(prop.Schema)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// OAuth names an OAuth provider whose token is passed as a secret.
type OAuth struct {
	Provider string `yaml:"provider,omitempty" json:"provider,omitempty"`
	Secret   string `yaml:"secret,omitempty" json:"secret,omitempty"`
	Env      string `yaml:"env,omitempty" json:"env,omitempty"`
}

// Tool is a statically declared tool; for type "poci" it runs in its own container.
type Tool struct {
	Name        string     `yaml:"name" json:"name"`
	Description string     `yaml:"description,omitempty" json:"description,omitempty"`
	Parameters  *Schema    `yaml:"parameters,omitempty" json:"parameters,omitempty"`
	Container   *Container `yaml:"container,omitempty" json:"container,omitempty"`
}

// Container is the image a "poci" tool runs.
type Container struct {
	Image   string   `yaml:"image,omitempty" json:"image,omitempty"`
	Command []string `yaml:"command,omitempty" json:"command,omitempty"`
	Volumes []string `yaml:"volumes,omitempty" json:"volumes,omitempty"`
}
