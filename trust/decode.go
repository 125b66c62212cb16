package trust

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// decoder walks a policy's YAML nodes strictly (unknown or repeated keys, wrong kinds
// and anchors are errors) and records every problem as a located diagnostic.
type decoder struct {
	path  string
	diags []*catalog.Diagnostic
}

func (d *decoder) errorf(n *yaml.Node, field, format string, args ...any) {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	if len(d.diags) >= maxErrs {
		return
	}
	d.diags = append(d.diags, &catalog.Diagnostic{Path: d.path, Line: line, Col: col, Field: field,
		Message: catalog.EscapeText(fmt.Sprintf(format, args...))})
}

const maxErrs = 50

// plain refuses anchors, aliases and tags other than the core ones: a trust policy is
// plain data.
func (d *decoder) plain(n *yaml.Node, field string) bool {
	switch {
	case n.Kind == yaml.AliasNode || n.Anchor != "":
		d.errorf(n, field, "anchors and aliases are not allowed in a trust policy")
		return false
	case n.Tag != "" && !strings.HasPrefix(n.Tag, "!!"):
		d.errorf(n, field, "tag %s is not allowed in a trust policy", n.Tag)
		return false
	}
	return true
}

// mapping calls fields[key] for each key of the mapping n; an unknown or repeated key
// is an error at the key.
func (d *decoder) mapping(n *yaml.Node, field string, fields map[string]func(v *yaml.Node, field string)) bool {
	if !d.plain(n, field) {
		return false
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, field, "want a mapping, got %s", kind(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := join(field, k.Value)
		fn, ok := fields[k.Value]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.errorf(k, field, "keys must be strings")
		case seen[k.Value]:
			d.errorf(k, f, "repeated key")
		case !ok:
			d.errorf(k, f, "unknown field (known: %s)", known(fields))
		default:
			seen[k.Value] = true
			fn(v, f)
		}
	}
	return true
}

func known(fields map[string]func(*yaml.Node, string)) string {
	var ks []string
	for k := range fields {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// str returns the string scalar n.
func (d *decoder) str(n *yaml.Node, field string) (string, bool) {
	if !d.plain(n, field) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		d.errorf(n, field, "want a string, got %s", kind(n))
		return "", false
	}
	if n.Value == "" {
		d.errorf(n, field, "must not be empty")
		return "", false
	}
	return n.Value, true
}

// boolean returns the boolean scalar n.
func (d *decoder) boolean(n *yaml.Node, field string) bool {
	if !d.plain(n, field) {
		return false
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errorf(n, field, "want true or false, got %s", kind(n))
		return false
	}
	return n.Value == "true"
}

// strings returns the non-empty sequence of strings n, with their positions.
func (d *decoder) strings(n *yaml.Node, field string) []Located {
	if !d.plain(n, field) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, field, "want a list, got %s", kind(n))
		return nil
	}
	if len(n.Content) == 0 {
		d.errorf(n, field, "must not be empty")
	}
	var out []Located
	for i, e := range n.Content {
		f := fmt.Sprintf("%s[%d]", field, i)
		if s, ok := d.str(e, f); ok {
			out = append(out, Located{Value: s, Pos: posOf(e), field: f})
		}
	}
	return out
}

func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing"
		case "!!str":
			return "a string"
		}
		return strings.TrimPrefix(n.Tag, "!!") + " " + n.Value
	}
	return "something else"
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func posOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }
