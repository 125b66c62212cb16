package repro

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"unicode/utf8"
)

// maxValue is the most bytes of one JSON value a Difference quotes.
const maxValue = 200

// mapKeys are the config and manifest objects whose keys are data, not field names:
// their keys are written config.Labels["x"], never config.Labels.x.
var mapKeys = map[string]bool{"Labels": true, "ExposedPorts": true, "Volumes": true, "annotations": true}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// jsonDiff is the first place where the JSON documents a and b differ: objects by key in
// sorted order, arrays by index. skip leaves out the paths it names (and what is under
// them). found is false when the values are equal. av and bv are the values there, as
// JSON cut to maxValue bytes, or "(absent)".
func jsonDiff(a, b []byte, skip func(string) bool) (path, av, bv string, found bool, err error) {
	x, err := decodeJSON(a)
	if err != nil {
		return "", "", "", false, err
	}
	y, err := decodeJSON(b)
	if err != nil {
		return "", "", "", false, err
	}
	d := &differ{skip: skip}
	if !d.walk("", "", x, y) {
		return "", "", "", false, nil
	}
	return d.path, d.a, d.b, true, nil
}

func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("parsing JSON: %v", err)
	}
	return v, nil
}

type differ struct {
	skip       func(string) bool
	path, a, b string
}

// absent marks a value one side does not have.
var absent = struct{}{}

func (d *differ) walk(path, parent string, x, y any) bool {
	if d.skip != nil && path != "" && d.skip(path) {
		return false
	}
	switch xv := x.(type) {
	case map[string]any:
		if yv, ok := y.(map[string]any); ok {
			keys := make([]string, 0, len(xv)+len(yv))
			for k := range xv {
				keys = append(keys, k)
			}
			for k := range yv {
				if _, ok := xv[k]; !ok {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				xe, xok := xv[k]
				ye, yok := yv[k]
				if !xok {
					xe = absent
				}
				if !yok {
					ye = absent
				}
				if d.walk(joinKey(path, parent, k), k, xe, ye) {
					return true
				}
			}
			return false
		}
	case []any:
		if yv, ok := y.([]any); ok {
			for i := range max(len(xv), len(yv)) {
				var xe, ye any = absent, absent
				if i < len(xv) {
					xe = xv[i]
				}
				if i < len(yv) {
					ye = yv[i]
				}
				if d.walk(fmt.Sprintf("%s[%d]", path, i), "", xe, ye) {
					return true
				}
			}
			return false
		}
	}
	if sameScalar(x, y) {
		return false
	}
	d.path, d.a, d.b = path, showValue(x), showValue(y)
	return true
}

func sameScalar(x, y any) bool {
	switch x.(type) {
	case map[string]any, []any:
		return false // y is not of the same kind (else walk compared them)
	}
	switch y.(type) {
	case map[string]any, []any:
		return false
	}
	return x == y
}

// joinKey is path.key for a field name, path["key"] for a key of a map-like object or a
// key that is not an identifier.
func joinKey(path, parent, key string) string {
	if !mapKeys[parent] && identRE.MatchString(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(cut(key, maxValue)) + "]"
}

func showValue(v any) string {
	if v == absent {
		return "(absent)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return cut(string(b), maxValue)
}

// cut shortens s to at most n bytes (on a rune boundary), saying so.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return fmt.Sprintf("%s… (%d bytes cut)", s[:i], len(s)-i)
}
