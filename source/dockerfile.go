package source

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Severity of a Finding.
type Severity string

// Severities.
const (
	Error   Severity = "error"   // the pin cannot build, or is not what it claims
	Warning Severity = "warning" // suspicious; an error with --strict
)

// Finding is one problem of a pin. Field is the catalog field it concerns
// ("source.commit", "source.directory", ...); File and Line locate it in the repository
// (the Dockerfile's line) when they apply.
type Finding struct {
	Severity Severity `json:"severity"`
	Field    string   `json:"field"`
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	Message  string   `json:"message"`
}

// Where is "file:line: " (or "file: ") when the finding is located in the repository.
func (f Finding) Where() string {
	switch {
	case f.File != "" && f.Line > 0:
		return f.File + ":" + strconv.Itoa(f.Line) + ": "
	case f.File != "":
		return f.File + ": "
	}
	return ""
}

// dockerfileCheck is what checkDockerfile needs to know about one pin.
type dockerfileCheck struct {
	file    string          // the Dockerfile's path from the repository root, for findings
	target  string          // source.buildTarget, "" for the last stage
	ctxDir  string          // the build context from the repository root ("" for the root)
	paths   map[string]bool // every path in the build context, relative to it
	outside func(p string) bool
}

// findings of checkDockerfile locate themselves with the Dockerfile's line.
func (c *dockerfileCheck) errorf(field string, line int, format string, args ...any) Finding {
	return Finding{Severity: Error, Field: field, File: c.file, Line: line, Message: fmt.Sprintf(format, args...)}
}

// checkDockerfile parses df with BuildKit's parser and checks that the target exists and
// that every COPY and ADD source of the stages built (the target and the stages it uses
// through FROM, COPY --from and RUN --mount=from) is in the build context.
func checkDockerfile(df []byte, c *dockerfileCheck) []Finding {
	res, err := parser.Parse(bytes.NewReader(df))
	if err != nil {
		return []Finding{c.errorf("source.dockerfile", errLine(err), "BuildKit cannot parse the Dockerfile: %v", err)}
	}
	stages, _, err := instructions.Parse(res.AST, linter.New(&linter.Config{SkipAll: true}))
	if err != nil {
		return []Finding{c.errorf("source.dockerfile", errLine(err), "BuildKit cannot parse the Dockerfile: %v", err)}
	}
	if len(stages) == 0 {
		return []Finding{c.errorf("source.dockerfile", 0, "the Dockerfile has no FROM")}
	}
	target := len(stages) - 1
	if c.target != "" {
		target = slices.IndexFunc(stages, func(s instructions.Stage) bool { return s.Name == strings.ToLower(c.target) })
		if target < 0 {
			var names []string
			for _, s := range stages {
				if s.Name != "" {
					names = append(names, s.Name)
				}
			}
			return []Finding{c.errorf("source.buildTarget", 0, "target %q is not a stage of the Dockerfile (named stages: %s)", c.target, orNone(names))}
		}
	}
	var out []Finding
	for _, i := range builtStages(stages, target) {
		for _, cmd := range stages[i].Commands {
			var sd instructions.SourcesAndDest
			name := "COPY"
			switch x := cmd.(type) {
			case *instructions.CopyCommand:
				if x.From != "" {
					continue
				}
				sd = x.SourcesAndDest
			case *instructions.AddCommand:
				sd, name = x.SourcesAndDest, "ADD"
			default:
				continue
			}
			line := 0
			if loc := cmd.Location(); len(loc) > 0 {
				line = loc[0].Start.Line
			}
			for _, src := range sd.SourcePaths {
				if name == "ADD" && isRemoteSource(src) {
					continue
				}
				if msg := c.checkSource(src); msg != "" {
					out = append(out, c.errorf(sourceField(c), line, "%s source %q %s", name, src, msg))
				}
			}
		}
	}
	return out
}

// sourceField is the catalog field a bad COPY source is reported on: the directory that
// sets the build context, or the Dockerfile.
func sourceField(c *dockerfileCheck) string {
	if c.ctxDir != "" {
		return "source.directory"
	}
	return "source.dockerfile"
}

// checkSource returns why src is not in the build context, or "".
func (c *dockerfileCheck) checkSource(src string) string {
	if strings.Contains(src, "$") {
		return "" // expanded from build arguments: only BuildKit knows
	}
	rel := path.Clean(strings.TrimLeft(src, "/"))
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Sprintf("escapes the build context (%s)", displayDir(c.ctxDir))
	}
	if rel == "." || rel == "" {
		return ""
	}
	if strings.ContainsAny(rel, "*?[") {
		for p := range c.paths {
			if ok, _ := path.Match(rel, p); ok {
				return ""
			}
		}
		return fmt.Sprintf("matches nothing in the build context (%s)", displayDir(c.ctxDir))
	}
	if c.paths[rel] {
		return ""
	}
	msg := fmt.Sprintf("does not exist in the build context (%s)", displayDir(c.ctxDir))
	if c.ctxDir != "" && c.outside != nil && c.outside(rel) {
		msg += fmt.Sprintf("; %s exists from the repository root, but BuildKit's context is %s: the path must be relative to it", rel, c.ctxDir)
	}
	return msg
}

// builtStages returns the indexes of the stages BuildKit builds for target: the target
// and, transitively, the stages it names in FROM, COPY --from and RUN --mount=from.
func builtStages(stages []instructions.Stage, target int) []int {
	byName := map[string]int{}
	for i, s := range stages {
		if s.Name != "" {
			if _, dup := byName[s.Name]; !dup {
				byName[s.Name] = i
			}
		}
	}
	ref := func(name string) (int, bool) {
		if i, ok := byName[strings.ToLower(name)]; ok {
			return i, true
		}
		if i, err := strconv.Atoi(name); err == nil && i >= 0 && i < len(stages) {
			return i, true
		}
		return 0, false
	}
	seen := map[int]bool{}
	var out []int
	var visit func(int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		out = append(out, i)
		if j, ok := byName[strings.ToLower(stages[i].BaseName)]; ok && j < i {
			visit(j)
		}
		for _, cmd := range stages[i].Commands {
			switch x := cmd.(type) {
			case *instructions.CopyCommand:
				if j, ok := ref(x.From); ok && x.From != "" {
					visit(j)
				}
			case *instructions.RunCommand:
				for _, m := range instructions.GetMounts(x) {
					if j, ok := ref(m.From); ok && m.From != "" {
						visit(j)
					}
				}
			}
		}
	}
	visit(target)
	slices.Sort(out)
	return out
}

// isRemoteSource reports an ADD source that BuildKit downloads rather than reads from the
// context.
func isRemoteSource(src string) bool {
	for _, p := range []string{"http://", "https://", "git://", "git@", "ssh://"} {
		if strings.HasPrefix(src, p) {
			return true
		}
	}
	return false
}

// errLine is the Dockerfile line of a parse error, or 0.
func errLine(err error) int {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		return le.Locations[0][0].Start.Line
	}
	return 0
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}
