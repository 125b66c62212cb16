package catalog

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// FileName is the name of a catalog entry's file.
const FileName = "server.yaml"

// Diagnostic is one problem found in a server.yaml, located at path:line:col. Line is 0
// for problems that concern a pattern or a whole file that could not be read.
type Diagnostic struct {
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Field   string `json:"field,omitempty"` // dotted YAML path, e.g. "source.commit"
	Message string `json:"message"`
}

// Error is "path:line:col: field: message" on one line; characters in the path that
// could alter or hide text in a log are escaped (the struct keeps the path as given).
func (d *Diagnostic) Error() string {
	loc := oneLine(d.Path)
	if d.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", loc, d.Line, d.Col)
	}
	if d.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, d.Field, d.Message)
	}
	return fmt.Sprintf("%s: %s", loc, d.Message)
}

// Options tune loading.
type Options struct {
	// Strict turns unknown keys from warnings into errors.
	Strict bool
}

// Load reads every server.yaml matched by patterns and validates them all:
//
//	servers/...           every server.yaml below servers/ (recursive; dot-directories skipped)
//	servers/fetch         the folder's server.yaml
//	servers/fetch/x.yaml  that file
//
// A pattern matching nothing is an error. Load returns the valid servers (sorted by
// path), the warnings, and an error joining (errors.Join) one *Diagnostic per problem
// of every file, including duplicate names or images across files.
func Load(patterns []string, opts Options) ([]*Server, []*Diagnostic, error) {
	var errs, warns []*Diagnostic
	if len(patterns) == 0 {
		return nil, nil, joinDiags([]*Diagnostic{{Path: ".", Message: "no catalog pattern given"}})
	}
	var files []string
	seen := map[string]bool{}
	for _, p := range patterns {
		matched, err := expand(p)
		if err != nil {
			errs = append(errs, &Diagnostic{Path: p, Message: err.Error()})
			continue
		}
		for _, f := range matched {
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	slices.Sort(files)

	var loaded []*Server
	bad := map[*Server]bool{}
	for _, f := range files {
		s, w, e := loadFile(f, opts)
		warns = append(warns, w...)
		errs = append(errs, e...)
		if s != nil {
			loaded = append(loaded, s)
			bad[s] = len(e) > 0
		}
	}
	for _, d := range duplicates(loaded) {
		errs = append(errs, d.diag)
		bad[d.server] = true
	}
	var valid []*Server
	for _, s := range loaded {
		if !bad[s] {
			valid = append(valid, s)
		}
	}
	return valid, warns, joinDiags(errs)
}

// LoadFile reads and validates one file, like Parse. It returns the entry (nil when the
// file cannot be read or decoded), its warnings, and an error joining one *Diagnostic per
// problem. Unlike Load it does not look for duplicates across files.
func LoadFile(path string, opts Options) (*Server, []*Diagnostic, error) {
	s, warns, errs := loadFile(path, opts)
	return s, warns, joinDiags(errs)
}

func loadFile(path string, opts Options) (*Server, []*Diagnostic, []*Diagnostic) {
	fail := func(format string, args ...any) (*Server, []*Diagnostic, []*Diagnostic) {
		return nil, nil, []*Diagnostic{{Path: path, Message: fmt.Sprintf(format, args...)}}
	}
	f, err := os.Open(path)
	if err != nil {
		return fail("%v", unwrapPathErr(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxFileSize {
		return nil, nil, []*Diagnostic{{Path: path, Line: 1, Col: 1,
			Message: fmt.Sprintf("file is %d bytes, over the %d-byte (1 MiB) limit", fi.Size(), MaxFileSize)}}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return fail("reading: %v", unwrapPathErr(err))
	}
	folder := filepath.Base(filepath.Dir(path))
	if abs, err := filepath.Abs(path); err == nil {
		folder = filepath.Base(filepath.Dir(abs))
	}
	return parse(path, folder, data, opts)
}

// expand turns one pattern into the files it names.
func expand(p string) ([]string, error) {
	if root, ok := recursiveRoot(p); ok {
		return walk(root)
	}
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return nil, fmt.Errorf("pattern matches nothing: %v", unwrapPathErr(err))
	case fi.IsDir():
		f := filepath.Join(p, FileName)
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("pattern matches nothing: no %s in this directory (use %s/... to search below it)", FileName, strings.TrimSuffix(p, "/"))
		}
		return []string{f}, nil
	default:
		return []string{filepath.Clean(p)}, nil
	}
}

// recursiveRoot returns the directory a "<dir>/..." or "..." pattern searches below.
func recursiveRoot(p string) (string, bool) {
	root, ok := strings.CutSuffix(filepath.ToSlash(p), "...")
	switch {
	case !ok:
		return "", false
	case root == "":
		return ".", true
	case root == "/":
		return filepath.FromSlash(root), true
	case strings.HasSuffix(root, "/"):
		return filepath.FromSlash(strings.TrimSuffix(root, "/")), true
	}
	return "", false // "servers..." is a plain path
}

// walk finds every server.yaml below root, skipping dot-directories under it.
func walk(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && path != root && strings.HasPrefix(e.Name(), ".") {
			return filepath.SkipDir
		}
		if !e.IsDir() && e.Name() == FileName {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("searching for %s: %v", FileName, unwrapPathErr(err))
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("pattern matches nothing: no %s below %s", FileName, root)
	}
	return files, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

type dup struct {
	server *Server
	diag   *Diagnostic
}

// duplicates reports every entry whose name or image an earlier file already uses.
func duplicates(servers []*Server) []dup {
	var out []dup
	for _, field := range []string{"name", "image"} {
		first := map[string]*Server{}
		for _, s := range servers {
			v := s.Name
			if field == "image" {
				v = s.Image
			}
			if v == "" {
				continue
			}
			prev, ok := first[v]
			if !ok {
				first[v] = s
				continue
			}
			line, col := s.Position(field)
			pl, pc := prev.Position(field)
			out = append(out, dup{s, &Diagnostic{Path: s.Path, Line: line, Col: col, Field: field,
				Message: fmt.Sprintf("%q is already used by %s:%d:%d", v, prev.Path, pl, pc)}})
		}
	}
	return out
}

func sortDiags(ds []*Diagnostic) {
	slices.SortStableFunc(ds, func(a, b *Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}

// joinDiags joins diagnostics into one error (nil for none).
func joinDiags(ds []*Diagnostic) error {
	if len(ds) == 0 {
		return nil
	}
	errs := make([]error, len(ds))
	for i, d := range ds {
		errs[i] = d
	}
	return errors.Join(errs...)
}
