package catalog

import "fmt"

// Diagnostic is one problem found in a server.yaml, located at path:line:col.
type Diagnostic struct {
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Field   string `json:"field,omitempty"` // dotted YAML path, e.g. "source.commit"
	Message string `json:"message"`
}

func (d *Diagnostic) Error() string {
	if d.Field != "" {
		return fmt.Sprintf("%s:%d:%d: %s: %s", d.Path, d.Line, d.Col, d.Field, d.Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s", d.Path, d.Line, d.Col, d.Message)
}

// Options tune loading.
type Options struct {
	// Strict turns unknown keys from warnings into errors.
	Strict bool
}

// Load reads every server.yaml matched by patterns ("servers/...", "servers/fetch", or a
// file path) and validates them all. It returns the valid servers, warnings, and an error
// that joins (errors.Join) one *Diagnostic per problem of every file.
// (Skeleton: implemented by the catalog work.)
func Load(patterns []string, opts Options) ([]*Server, []*Diagnostic, error) {
	return nil, nil, fmt.Errorf("catalog.Load: not implemented")
}
