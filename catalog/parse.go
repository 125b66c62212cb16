package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxFileSize is the largest server.yaml accepted (1 MiB).
const MaxFileSize = 1 << 20

// Parse decodes and validates one server.yaml held in data. path is used in diagnostics
// and its parent folder is the name the entry must carry. Parse does no I/O.
//
// It returns the entry (nil when the file cannot be decoded at all), the warnings, and an
// error joining one *Diagnostic per problem (nil when the entry is valid).
func Parse(path string, data []byte, opts Options) (*Server, []*Diagnostic, error) {
	folder := filepath.Base(filepath.Dir(path))
	s, warns, errs := parse(path, folder, data, opts)
	return s, warns, joinDiags(errs)
}

// parse is Parse with the expected folder name given explicitly (Load resolves it from
// the absolute path, so that "server.yaml" in the current directory works too).
func parse(path, folder string, data []byte, opts Options) (*Server, []*Diagnostic, []*Diagnostic) {
	fileErr := func(line, col int, format string, args ...any) []*Diagnostic {
		ds := []*Diagnostic{{Path: path, Line: line, Col: col, Message: oneLine(fmt.Sprintf(format, args...))}}
		clamp(data, ds)
		return ds
	}
	if len(data) > MaxFileSize {
		return nil, nil, fileErr(1, 1, "file is %d bytes, over the %d-byte (1 MiB) limit", len(data), MaxFileSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, fileErr(1, 1, "file is empty")
	}
	if line, col, msg, ok := badChar(data); ok {
		return nil, nil, fileErr(line, col, "%s", msg)
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, fileErr(1, 1, "file is empty (no YAML document)")
		}
		return nil, nil, []*Diagnostic{yamlErr(path, data, err)}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, nil, fileErr(next.Line, next.Column, "file holds more than one YAML document; a server.yaml holds exactly one")
	case !errors.Is(err, io.EOF):
		return nil, nil, []*Diagnostic{yamlErr(path, data, err)}
	}

	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, nil, fileErr(root.Line, root.Column, "top level must be a mapping of server.yaml keys, got %s", kindName(root))
	}

	d := newDecoder(path, opts.Strict)
	d.pos[""] = root
	s := &Server{Path: path}
	d.decode(root, reflect.ValueOf(s).Elem(), "", 0)
	s.pos = d.vals
	if !d.halted {
		v := &validator{d: d, s: s}
		v.validate(folder)
	}
	clamp(data, d.errs)
	clamp(data, d.warns)
	sortDiags(d.errs)
	sortDiags(d.warns)
	return s, d.warns, d.errs
}

// clamp moves positions that yaml.v3 puts past the end of a file not ending in a line
// break (it adds one) back onto the last line.
func clamp(data []byte, ds []*Diagnostic) {
	n := lineCount(data)
	for _, d := range ds {
		if d.Line > n {
			d.Line, d.Col = n, 1
		}
	}
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parserProblems are yaml.v3's parser (not scanner) errors. yaml.v3 prints their line
// 0-based (and omits it for the first line), while scanner errors are printed 1-based.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlErr turns a yaml.v3 syntax error ("yaml: line 3: ...") into a Diagnostic. The line
// is where the construct holding the problem starts; yaml.v3 does not report a column,
// so column 1 stands for "this line".
func yamlErr(path string, data []byte, err error) *Diagnostic {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return &Diagnostic{Path: path, Line: 1, Col: 1, Message: oneLine("invalid YAML: " + err.Error())}
	}
	line, _ := strconv.Atoi(m[1]) // 0 when absent
	if parserProblems[m[2]] || line == 0 {
		line++
	}
	line = min(line, lineCount(data))
	msg := "invalid YAML: " + m[2]
	if l := lineText(data, line); strings.HasPrefix(l, "\t") && !strings.Contains(m[2], "tab") {
		msg += " (a tab in indentation; YAML indents with spaces)"
	}
	return &Diagnostic{Path: path, Line: line, Col: 1, Message: oneLine(msg)}
}

// lineText returns the 1-based line n of data.
func lineText(data []byte, n int) string {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return ""
		}
		data = data[j+1:]
	}
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	return string(data)
}

// isBreak reports whether r at data[i:] ends a line as yaml.v3 counts lines: LF, CR
// (not followed by LF), NEL, LS and PS.
func isBreak(data []byte, i int, r rune) bool {
	switch r {
	case '\n', 0x85, 0x2028, 0x2029:
		return true
	case '\r':
		return i+1 >= len(data) || data[i+1] != '\n'
	}
	return false
}

// lineCount is the number of lines of data as yaml.v3 counts them.
func lineCount(data []byte) int {
	n := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if isBreak(data, i, r) && i+size < len(data) {
			n++
		}
		i += size
	}
	return n
}

// badChar finds the first byte that is not valid UTF-8 or the first character YAML
// forbids (C0 controls other than tab, LF and CR, DEL, C1 controls other than NEL,
// U+FFFE, U+FFFF); yaml.v3 rejects both without a position.
func badChar(data []byte) (line, col int, msg string, found bool) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return line, col, fmt.Sprintf("file is not valid UTF-8 (byte 0x%02x)", data[i]), true
		case r == '\t' || r == '\r' || r == '\n' || r == 0x85:
		case r < 0x20, r == 0x7F, r >= 0x80 && r < 0xA0, r == 0xFFFE, r == 0xFFFF:
			return line, col, fmt.Sprintf("control character %U is not allowed in YAML", r), true
		}
		if isBreak(data, i, r) {
			line, col = line+1, 1
		} else if r != '\r' {
			col++
		}
		i += size
	}
	return 0, 0, "", false
}
