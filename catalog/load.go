package catalog

import (
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

// Options tune loading.
type Options struct {
	// Strict turns every warning (unknown keys, a tagged image, what Docker grandfathers)
	// into an error.
	Strict bool
}

// File is one server.yaml that Load's patterns matched, and what validating it found.
type File struct {
	Path     string
	Server   *Server       // the decoded entry; nil when the file could not be read or decoded
	Errors   []*Diagnostic // empty when the entry is valid
	Warnings []*Diagnostic // with Options.Strict these are in Errors instead
}

// Valid reports whether the entry has no errors (warnings allowed).
func (f *File) Valid() bool { return len(f.Errors) == 0 }

// Err joins (errors.Join) one *Diagnostic per error; nil when the entry is valid.
func (f *File) Err() error { return joinDiags(f.Errors) }

// Reason is the errors on one line ("path:line:col: field: message; ..."), escaped.
func (f *File) Reason() string { return joinText(f.Errors) }

// Label names the entry in a report: its name when the file sets one, else its path;
// escaped (an invalid name may hold any character).
func (f *File) Label() string {
	if f.Server != nil && f.Server.Name != "" {
		return oneLine(f.Server.Name)
	}
	return oneLine(f.Path)
}

// LoadFiles reads and validates every server.yaml matched by patterns:
//
//	servers/...           every server.yaml below servers/ (recursive; dot-directories skipped)
//	servers/fetch         the folder's server.yaml
//	servers/fetch/x.yaml  that file
//
// It returns one File per file, sorted by path, each with its own problems; a name or
// image (repository) that an earlier file already uses is an error of the later file.
// The error joins one *Diagnostic (Line 0) per pattern that matches nothing or cannot be
// searched, or says no pattern was given; the files of the other patterns are returned
// all the same.
func LoadFiles(patterns []string, opts Options) ([]*File, error) {
	if len(patterns) == 0 {
		return nil, joinDiags([]*Diagnostic{{Path: ".", Message: "no catalog pattern given"}})
	}
	var bad []*Diagnostic
	var paths []string
	seen := map[string]bool{}
	for _, p := range patterns {
		matched, err := expand(p)
		if err != nil {
			bad = append(bad, &Diagnostic{Path: p, Message: err.Error()})
			continue
		}
		for _, f := range matched {
			if !seen[f] {
				seen[f] = true
				paths = append(paths, f)
			}
		}
	}
	slices.Sort(paths)
	files := make([]*File, len(paths))
	for i, p := range paths {
		s, w, e := loadFile(p, opts)
		files[i] = &File{Path: p, Server: s, Errors: e, Warnings: w}
	}
	for _, d := range duplicates(files) {
		d.file.Errors = append(d.file.Errors, d.diag)
		sortDiags(d.file.Errors)
	}
	return files, joinDiags(bad)
}

// Load is LoadFiles for callers that need every entry valid. It returns the valid
// servers (sorted by path), the warnings, and an error joining one *Diagnostic per
// problem of every file and pattern.
func Load(patterns []string, opts Options) ([]*Server, []*Diagnostic, error) {
	files, err := LoadFiles(patterns, opts)
	var errs, warns []*Diagnostic
	if err != nil {
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			errs = append(errs, e.(*Diagnostic))
		}
	}
	var valid []*Server
	for _, f := range files {
		warns = append(warns, f.Warnings...)
		errs = append(errs, f.Errors...)
		if f.Valid() {
			valid = append(valid, f.Server)
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
	file *File
	diag *Diagnostic
}

// duplicates reports every entry whose name or image repository an earlier file uses.
func duplicates(files []*File) []dup {
	var out []dup
	for _, field := range []string{"name", "image"} {
		first := map[string]*Server{}
		for _, f := range files {
			s := f.Server
			if s == nil {
				continue
			}
			v := s.Name
			if field == "image" {
				v = s.Repository()
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
			out = append(out, dup{f, &Diagnostic{Path: s.Path, Line: line, Col: col, Field: field,
				Message: oneLine(fmt.Sprintf("%q is already used by %s:%d:%d", v, prev.Path, pl, pc))}})
		}
	}
	return out
}
