package catalog

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9-]+$`)
	envVarRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	targetRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)
)

// validator checks a decoded entry's fields and reports at the offending node.
type validator struct {
	d *decoder
	s *Server
}

// at returns the node to report a field's problem at: its value, else its key, else
// the nearest enclosing field that the file does set, else the top-level mapping.
func (v *validator) at(field string) *yaml.Node {
	for {
		if n, ok := v.d.vals[field]; ok && field != "" {
			return n
		}
		if n, ok := v.d.pos[field]; ok {
			return n
		}
		if field == "" {
			return nil
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			field = ""
		} else {
			field = field[:i]
		}
	}
}

// missing reports a missing field at its enclosing field's key (or at its empty value),
// unless the field or an enclosing one failed to decode (that problem is reported already).
func (v *validator) missing(field, format string, args ...any) {
	for _, e := range v.d.errs {
		if e.Field != "" && (field == e.Field || strings.HasPrefix(field, e.Field+".") || strings.HasPrefix(field, e.Field+"[")) {
			return
		}
	}
	if n, ok := v.d.vals[field]; ok {
		if rest, ok := strings.CutPrefix(format, "is required"); ok {
			format = "is empty but required" + rest
		} else {
			format = "is empty: " + format
		}
		v.d.errorf(n, field, format, args...)
		return
	}
	parent := ""
	if i := strings.LastIndexAny(field, ".["); i >= 0 {
		parent = field[:i]
	}
	n := v.d.pos[parent]
	if n == nil {
		n = v.at(parent)
	}
	v.d.errorf(n, field, format, args...)
}

func (v *validator) errorf(field, format string, args ...any) {
	v.d.errorf(v.at(field), field, format, args...)
}

// softf is a warning, or an error with Options.Strict (decoder.softf).
func (v *validator) softf(field, format string, args ...any) {
	v.d.softf(v.at(field), field, format, args...)
}

func (v *validator) set(field string) bool {
	_, ok := v.d.vals[field]
	return ok
}

func (v *validator) validate(folder string) {
	s := v.s
	switch {
	case s.Name == "":
		v.missing("name", "is required")
	case checkText(s.Name) != "":
		v.errorf("name", "%s", checkText(s.Name))
	case !nameRE.MatchString(s.Name) && legacyNames[s.Name]:
		v.softf("name", "%q is a legacy name that Docker's registry grandfathers; names must match ^[a-z0-9-]+$ (lowercase letters, digits and hyphens)", s.Name)
		v.folder(folder)
	case !nameRE.MatchString(s.Name):
		v.errorf("name", "%q must match ^[a-z0-9-]+$ (lowercase letters, digits and hyphens)", s.Name)
	default:
		v.folder(folder)
	}

	switch s.Type {
	case TypeServer, TypeRemote, TypePOCI:
	case "":
		v.missing("type", "is required (server, remote or poci)")
	default:
		v.errorf("type", "must be server, remote or poci, got %q", s.Type)
	}

	switch {
	case s.Image != "":
		if msg := checkImage(s.Image); msg != "" {
			v.errorf("image", "%s", msg)
		} else if note := imageTagNote(s.Image); note != "" {
			v.softf("image", "%s", note)
		}
	case s.Type == TypeServer:
		v.missing("image", "is required for type server (the repository the image is pushed to)")
	}

	v.source()
	v.remote()
	v.tools()
	v.config()
	for i, o := range s.OAuth {
		if o.Provider == "" {
			v.missing(fmt.Sprintf("oauth[%d].provider", i), "is required")
		}
	}
	v.dockerRules()
}

// folder checks that the name equals the entry's folder name.
func (v *validator) folder(folder string) {
	if folder != "" && folder != "." && folder != "/" && v.s.Name != folder {
		v.errorf("name", "%q must equal its folder name %q", v.s.Name, folder)
	}
}

func (v *validator) source() {
	src := v.s.Source
	server := v.s.Type == TypeServer
	switch {
	case src.Project != "":
		if msg := checkProject(src.Project); msg != "" {
			v.errorf("source.project", "%s", msg)
		}
	case server:
		v.missing("source.project", "is required for type server (the git repository to build from)")
	}
	if src.Upstream != "" {
		if msg := checkProject(src.Upstream); msg != "" {
			v.errorf("source.upstream", "%s", msg)
		}
	}
	// The branch is never built from (the commit is), but it is shown and logged.
	if msg := checkText(src.Branch); msg != "" {
		v.errorf("source.branch", "%s", msg)
	}
	switch {
	case src.Commit != "":
		if msg := checkCommit(src.Commit); msg != "" {
			v.errorf("source.commit", "%s", msg)
		}
	case server:
		v.missing("source.commit", "is required for type server; pin the full 40-hex commit")
	}
	if msg := checkDirectory(src.Directory); msg != "" {
		v.errorf("source.directory", "%s", msg)
	}
	if msg := checkRelPath(src.Dockerfile); msg != "" {
		v.errorf("source.dockerfile", "%s", msg)
	}
	switch {
	case checkText(src.BuildTarget) != "":
		v.errorf("source.buildTarget", "%s", checkText(src.BuildTarget))
	case src.BuildTarget != "" && !targetRE.MatchString(src.BuildTarget):
		v.errorf("source.buildTarget", "%q is not a valid Dockerfile stage name", src.BuildTarget)
	}
}

func (v *validator) remote() {
	r := v.s.Remote
	if v.s.Type != TypeRemote {
		if r != nil && v.set("remote") && (r.URL != "" || r.TransportType != "") && v.s.Type != "" {
			v.errorf("remote", "is only allowed for type remote, but the type is %s", v.s.Type)
		}
		return
	}
	if r == nil {
		v.missing("remote", "is required for type remote")
		return
	}
	switch {
	case r.URL == "":
		v.missing("remote.url", "is required for type remote")
	default:
		if msg := checkRemoteURL(r.URL); msg != "" {
			v.errorf("remote.url", "%s", msg)
		}
	}
	switch r.TransportType {
	case "streamable-http", "sse", "stdio": // Docker's registry accepts all three
	case "":
		v.missing("remote.transport_type", "is required for type remote (streamable-http, sse or stdio)")
	default:
		v.errorf("remote.transport_type", "must be streamable-http, sse or stdio, got %q", r.TransportType)
	}
}

func (v *validator) tools() {
	poci := v.s.Type == TypePOCI
	if poci && len(v.s.Tools) == 0 {
		v.missing("tools", "type poci needs at least one tool, each with a container image")
	}
	for i, t := range v.s.Tools {
		f := fmt.Sprintf("tools[%d]", i)
		if t.Name == "" {
			v.missing(f+".name", "is required")
		}
		switch {
		case t.Container != nil && t.Container.Image != "":
			if msg := checkToolImage(t.Container.Image); msg != "" {
				v.errorf(f+".container.image", "%s", msg)
			}
		case poci && t.Container == nil:
			v.missing(f+".container", "is required for type poci (the image the tool runs)")
		case poci:
			v.missing(f+".container.image", "is required for type poci")
		}
	}
}

func (v *validator) config() {
	c := v.s.Config
	if c == nil {
		return
	}
	for i, sec := range c.Secrets {
		f := fmt.Sprintf("config.secrets[%d]", i)
		if sec.Name == "" {
			v.missing(f+".name", "is required")
		}
		switch {
		case sec.Env == "":
			v.missing(f+".env", "is required (the environment variable the secret is passed in)")
		case !envVarRE.MatchString(sec.Env):
			v.errorf(f+".env", "%q is not a valid environment variable name", sec.Env)
		}
	}
	for i, e := range c.Env {
		// Names are not checked further: Docker's registry has "uberall.access_token".
		if e.Name == "" {
			v.missing(fmt.Sprintf("config.env[%d].name", i), "is required")
		}
	}
}
