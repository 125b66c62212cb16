package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// SetCommit returns the bytes of the server.yaml data (read from path, for errors) with
// the value of source.commit changed from old to commit, and nothing else: comments, key
// order, quoting and formatting are kept byte for byte. It refuses, with a
// "path:line:col: source.commit: ..." *Diagnostic, whatever it cannot edit with
// certainty: more than one document, anchors, aliases or tags on the way, a key given
// twice, a value other than old, or not a plain or quoted scalar on one line.
func SetCommit(path string, data []byte, old, commit string) ([]byte, error) {
	if !IsCommit(old) || !IsCommit(commit) {
		return nil, &Diagnostic{Path: path, Field: "source.commit", Message: fmt.Sprintf("cannot change %q to %q: want full 40-character lowercase hex commits", old, commit)}
	}
	n, off, err := findCommit(path, data)
	if err != nil {
		return nil, err
	}
	d := func(format string, args ...any) error {
		return &Diagnostic{Path: path, Line: n.Line, Col: n.Column, Field: "source.commit", Message: fmt.Sprintf(format, args...)}
	}
	start := off
	switch n.Style {
	case 0:
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		q := byte('\'')
		if n.Style == yaml.DoubleQuotedStyle {
			q = '"'
		}
		if off+len(old)+2 > len(data) || data[off] != q || data[off+1+len(old)] != q {
			return nil, d("the quoted value is not where the parser puts it; refusing to edit")
		}
		start = off + 1
	default:
		return nil, d("a block or flow-styled value cannot be edited in place; write it as a plain scalar")
	}
	if n.Value != old {
		return nil, d("is %q, not %q: the file changed since it was read", n.Value, old)
	}
	if start+len(old) > len(data) || !bytes.Equal(data[start:start+len(old)], []byte(old)) {
		return nil, d("the value is not where the parser puts it; refusing to edit")
	}
	out := make([]byte, 0, len(data))
	out = append(append(append(out, data[:start]...), commit...), data[start+len(old):]...)
	// The edit must read back as exactly the new commit, at the same place.
	if n2, off2, err := findCommit(path, out); err != nil || n2.Value != commit || off2 != off {
		return nil, d("the edited file does not read back as source.commit %s; refusing to write it", commit)
	}
	return out, nil
}

// findCommit returns source.commit's scalar node and the byte offset of its first
// character in data.
func findCommit(path string, data []byte) (*yaml.Node, int, error) {
	diag := func(n *yaml.Node, field, format string, args ...any) error {
		d := &Diagnostic{Path: path, Field: field, Message: fmt.Sprintf(format, args...)}
		if n != nil {
			d.Line, d.Col = n.Line, n.Column
		}
		return d
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, 0, diag(nil, "", "cannot read YAML: %v", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, 0, diag(&extra, "", "more than one YAML document; refusing to edit")
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, 0, diag(&doc, "", "not a YAML document with one mapping")
	}
	top := doc.Content[0]
	src, err := uniqueKey(top, "source", diag)
	if err != nil {
		return nil, 0, err
	}
	n, err := uniqueKey(src, "commit", func(n *yaml.Node, field, format string, args ...any) error {
		return diag(n, "source."+field, format, args...)
	})
	if err != nil {
		return nil, 0, err
	}
	if n.Kind != yaml.ScalarNode || n.Anchor != "" || (n.Tag != "!!str" && n.Tag != "") || n.Style&yaml.TaggedStyle != 0 {
		return nil, 0, diag(n, "source.commit", "not a plain string; refusing to edit")
	}
	off, ok := offset(data, n.Line, n.Column)
	if !ok {
		return nil, 0, diag(n, "source.commit", "position outside the file; refusing to edit")
	}
	return n, off, nil
}

// uniqueKey returns the value of key in mapping m, which must be a plain mapping (no
// anchor, alias, tag or merge key) holding key exactly once.
func uniqueKey(m *yaml.Node, key string, diag func(*yaml.Node, string, string, ...any) error) (*yaml.Node, error) {
	if m.Kind != yaml.MappingNode || m.Anchor != "" || m.Style&yaml.TaggedStyle != 0 {
		return nil, diag(m, "", "not a plain mapping (an alias, anchor or tag); refusing to edit")
	}
	var found *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Value == "<<" || k.Kind == yaml.AliasNode || v.Kind == yaml.AliasNode && k.Value == key {
			return nil, diag(k, key, "merge keys and aliases are not edited; refusing to edit")
		}
		if k.Value != key {
			continue
		}
		if found != nil {
			return nil, diag(k, key, "given twice; refusing to edit")
		}
		found = v
	}
	if found == nil {
		return nil, diag(m, key, "missing")
	}
	return found, nil
}

// offset converts a 1-based line and column (in characters, as yaml.v3 counts them) to a
// byte offset in data.
func offset(data []byte, line, col int) (int, bool) {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return 0, false
		}
		off += i + 1
	}
	for c := 1; c < col; c++ {
		if off >= len(data) || data[off] == '\n' {
			return 0, false
		}
		_, size := utf8.DecodeRune(data[off:])
		off += size
	}
	return off, off < len(data)
}
