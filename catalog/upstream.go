package catalog

// Types below mirror the rest of Docker's MCP registry schema. mcpbuild does not act on
// them; they are modelled so that well-formed upstream files load and round-trip.
// (Skeleton: the catalog work completes and validates them.)

type Dynamic struct {
	Tools bool `yaml:"tools,omitempty" json:"tools,omitempty"`
}

type Meta struct {
	Category string   `yaml:"category,omitempty" json:"category,omitempty"`
	Tags     []string `yaml:"tags,omitempty" json:"tags,omitempty"`
}

type About struct {
	Title       string `yaml:"title,omitempty" json:"title,omitempty"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Icon        string `yaml:"icon,omitempty" json:"icon,omitempty"`
}

type Remote struct {
	TransportType string            `yaml:"transport_type,omitempty" json:"transport_type,omitempty"`
	URL           string            `yaml:"url,omitempty" json:"url,omitempty"`
	Headers       map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
}

type Run struct {
	Command        []string          `yaml:"command,omitempty" json:"command,omitempty"`
	Volumes        []string          `yaml:"volumes,omitempty" json:"volumes,omitempty"`
	Env            map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	AllowHosts     []string          `yaml:"allowHosts,omitempty" json:"allowHosts,omitempty"`
	DisableNetwork bool              `yaml:"disableNetwork,omitempty" json:"disableNetwork,omitempty"`
}

type Config struct {
	Description string         `yaml:"description,omitempty" json:"description,omitempty"`
	Secrets     []Secret       `yaml:"secrets,omitempty" json:"secrets,omitempty"`
	Env         []Env          `yaml:"env,omitempty" json:"env,omitempty"`
	Parameters  map[string]any `yaml:"parameters,omitempty" json:"parameters,omitempty"`
	AnyOf       []any          `yaml:"anyOf,omitempty" json:"anyOf,omitempty"`
}

type Secret struct {
	Name    string `yaml:"name" json:"name"`
	Env     string `yaml:"env,omitempty" json:"env,omitempty"`
	Example string `yaml:"example,omitempty" json:"example,omitempty"`
}

type Env struct {
	Name    string `yaml:"name" json:"name"`
	Example any    `yaml:"example,omitempty" json:"example,omitempty"`
	Value   string `yaml:"value,omitempty" json:"value,omitempty"`
}

type OAuth struct {
	Provider string `yaml:"provider,omitempty" json:"provider,omitempty"`
	Secret   string `yaml:"secret,omitempty" json:"secret,omitempty"`
	Env      string `yaml:"env,omitempty" json:"env,omitempty"`
}

type Tool struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
}
