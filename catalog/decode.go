package catalog

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

const (
	maxDepth = 64      // nesting limit, far beyond any real server.yaml
	maxNodes = 1 << 20 // node visits, bounds alias expansion ("billion laughs")
	maxErrs  = 50      // errors reported per file before giving up on it
)

// decoder turns a yaml.Node tree into the typed model, like yaml.v3's Decode, but keeps
// going after a problem so that every problem is reported with its line and column, and
// reports keys the schema does not know instead of dropping them.
type decoder struct {
	path   string
	strict bool
	errs   []*Diagnostic
	warns  []*Diagnostic
	pos    map[string]*yaml.Node // field path -> key node (value node for the root)
	vals   map[string]*yaml.Node // field path -> value node
	active map[*yaml.Node]bool   // anchors being expanded, to catch recursive aliases
	visits int
	halted bool
}

func newDecoder(path string, strict bool) *decoder {
	return &decoder{path: path, strict: strict, pos: map[string]*yaml.Node{}, vals: map[string]*yaml.Node{}, active: map[*yaml.Node]bool{}}
}

func (d *decoder) errorf(n *yaml.Node, field, format string, args ...any) {
	if d.halted {
		return
	}
	if len(d.errs) == maxErrs {
		d.errs = append(d.errs, d.diag(n, field, "too many errors in this file; stopping here"))
		d.halted = true
		return
	}
	d.errs = append(d.errs, d.diag(n, field, fmt.Sprintf(format, args...)))
}

func (d *decoder) diag(n *yaml.Node, field, msg string) *Diagnostic {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	return &Diagnostic{Path: d.path, Line: line, Col: col, Field: oneLine(field), Message: oneLine(msg)}
}

// oneLine escapes line breaks and every other character checkText refuses, as Go
// quotes them ("\n", "\x1b", "\u202e"), so that every diagnostic stays on one line and
// shows what it holds (keys, paths and library errors can carry text from the file).
func oneLine(s string) string {
	if checkText(s) == "" {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], string(utf8.RuneError)):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case hostileKind(r) != "":
			b.WriteString(escapeRune(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// escapeRune spells r as a Go escape whatever Go thinks of it: strconv.QuoteRune keeps
// characters it deems printable (variation selectors, say) raw.
func escapeRune(r rune) string {
	switch q := strings.Trim(strconv.QuoteRune(r), "'"); {
	case strings.HasPrefix(q, `\`):
		return q
	case r <= 0xFFFF:
		return fmt.Sprintf(`\u%04x`, r)
	default:
		return fmt.Sprintf(`\U%08x`, r)
	}
}

// softf reports what Docker's registry tolerates but a careful catalog should not have
// (unknown keys, a tagged image, grandfathered names): a warning, or an error with
// Options.Strict. It is the one place that decides which.
func (d *decoder) softf(n *yaml.Node, field, format string, args ...any) {
	if d.strict {
		d.errorf(n, field, format, args...)
		return
	}
	d.warns = append(d.warns, d.diag(n, field, fmt.Sprintf(format, args...)))
}

func (d *decoder) unknown(key *yaml.Node, field string) {
	d.softf(key, field, "unknown key %q (not in Docker's server.yaml schema, which ignores it)", key.Value)
}

// kindName describes a node for "got ..." messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("string %q", truncate(n.Value, 40))
		case "!!null":
			return "null"
		default:
			return fmt.Sprintf("%s %s", strings.TrimPrefix(n.ShortTag(), "!!"), truncate(n.Value, 40))
		}
	}
	return "an unsupported node"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// resolve follows aliases; it returns nil (after reporting) for recursive ones.
func (d *decoder) resolve(n *yaml.Node, field string) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil || d.active[n.Alias] {
			d.errorf(n, field, "recursive YAML alias %q", n.Value)
			return nil
		}
		n = n.Alias
	}
	return n
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, field string, depth int) {
	if d.halted {
		return
	}
	if d.visits++; d.visits > maxNodes {
		d.errorf(n, field, "document too large after alias expansion (over %d nodes)", maxNodes)
		d.halted = true
		return
	}
	if depth > maxDepth {
		d.errorf(n, field, "nesting deeper than %d levels", maxDepth)
		return
	}
	at := n // where problems are reported: the alias, not its anchor, when aliased
	if _, seen := d.vals[field]; !seen {
		d.vals[field] = at
	}
	if n = d.resolve(n, field); n == nil {
		return
	}
	if at != n {
		d.active[n] = true
		defer delete(d.active, n)
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // like yaml.v3: null leaves the zero value
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		fields := yamlFields(v.Type())
		d.eachPair(at, n, field, depth, func(k, val *yaml.Node) {
			f := join(field, k.Value)
			idx, ok := fields[k.Value]
			if !ok {
				d.unknown(k, f)
				return
			}
			if _, seen := d.pos[f]; !seen {
				d.pos[f] = k
			}
			d.decode(val, v.Field(idx), f, depth+1)
		})
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[Properties]() {
			var props Properties
			d.eachPair(at, n, field, depth, func(k, val *yaml.Node) {
				p := Property{Name: k.Value}
				d.decode(val, reflect.ValueOf(&p.Schema).Elem(), join(field, k.Value), depth+1)
				props = append(props, p)
			})
			v.Set(reflect.ValueOf(props))
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.errorf(at, field, "must be a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", field, i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		d.eachPair(at, n, field, depth, func(k, val *yaml.Node) {
			e := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, e, join(field, k.Value), depth+1)
			m.SetMapIndex(reflect.ValueOf(k.Value), e)
		})
		v.Set(m)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.errorf(at, field, "must be a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value) // like yaml.v3, any scalar's text is accepted
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.errorf(at, field, "must be true or false, got %s", kindName(n))
			return
		}
		v.SetBool(b)
	case reflect.Interface:
		if x := d.decodeAny(at, n, field, depth); x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.errorf(at, field, "cannot decode into %s", v.Type())
	}
}

// decodeAny decodes free-form values (examples, defaults, enums) into nil, bool, int,
// float64, string, []any or map[string]any, with the same checks as the typed fields.
func (d *decoder) decodeAny(at, n *yaml.Node, field string, depth int) any {
	switch n.Kind {
	case yaml.ScalarNode:
		var x any
		if err := n.Decode(&x); err != nil {
			d.errorf(at, field, "invalid %s value %q", n.ShortTag(), truncate(n.Value, 40))
			return nil
		}
		if _, isBytes := x.([]byte); isBytes {
			return n.Value // !!binary: keep the text, as a string field would
		}
		return x
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, item := range n.Content {
			var x any
			d.decode(item, reflect.ValueOf(&x).Elem(), fmt.Sprintf("%s[%d]", field, i), depth+1)
			out[i] = x
		}
		return out
	case yaml.MappingNode:
		out := map[string]any{}
		d.eachPair(at, n, field, depth, func(k, val *yaml.Node) {
			var x any
			d.decode(val, reflect.ValueOf(&x).Elem(), join(field, k.Value), depth+1)
			out[k.Value] = x
		})
		return out
	}
	d.errorf(at, field, "unsupported YAML node")
	return nil
}

type pair struct{ k, v *yaml.Node }

// eachPair calls fn for every key/value of a mapping (merge keys expanded, explicit keys
// winning), after reporting non-scalar and duplicate keys.
func (d *decoder) eachPair(at, n *yaml.Node, field string, depth int, fn func(k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.errorf(at, field, "must be a mapping, got %s", kindName(n))
		return
	}
	var merged, own []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.mergePairs(val, field, depth)...)
			continue
		}
		if k = d.resolve(k, field); k == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, field, "mapping keys must be strings, got %s", kindName(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, join(field, k.Value), "duplicate key %q (first at %d:%d)", k.Value, first.Line, first.Column)
			continue
		}
		seen[k.Value] = k
		own = append(own, pair{k, val})
	}
	for _, p := range merged {
		if _, ok := seen[p.k.Value]; !ok {
			seen[p.k.Value] = p.k
			fn(p.k, p.v)
		}
	}
	for _, p := range own {
		fn(p.k, p.v)
	}
}

// mergePairs returns the pairs a YAML merge key ("<<: *base" or "<<: [*a, *b]") brings in.
func (d *decoder) mergePairs(n *yaml.Node, field string, depth int) []pair {
	var out []pair
	if n = d.resolve(n, field); n == nil {
		return nil
	}
	srcs := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		srcs = n.Content
	}
	for _, s := range srcs {
		if s = d.resolve(s, field); s == nil {
			continue
		}
		if s.Kind != yaml.MappingNode {
			d.errorf(s, field, "merge key value must be a mapping, got %s", kindName(s))
			continue
		}
		d.eachPair(s, s, field, depth+1, func(k, v *yaml.Node) { out = append(out, pair{k, v}) })
	}
	return out
}

var fieldCache sync.Map // reflect.Type -> map[string]int

// yamlFields maps a struct's yaml key names to field indexes.
func yamlFields(t reflect.Type) map[string]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if !sf.IsExported() || name == "-" || name == "" {
			continue
		}
		m[name] = i
	}
	fieldCache.Store(t, m)
	return m
}
