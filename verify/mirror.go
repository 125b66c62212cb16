package verify

import (
	"errors"
	"strings"
)

// Mirror says that projects whose URL starts with From were fetched from To instead
// (mcpbuild publish --source-mirror FROM=TO, git's insteadOf): the provenance then names
// the mirrored URL, which counts as the pinned project. The commit is compared as
// always; a mirror only widens which URL may carry it.
type Mirror struct{ From, To string }

func (m Mirror) validate() error {
	if m.From == "" || m.To == "" {
		return errors.New("source mirror: From and To are required")
	}
	return nil
}

// mirrored returns the pin's project as fetched through the mirror that applies (the
// longest From prefix, as git and publish choose), and false when none applies.
func (p Policy) mirrored() (string, bool) {
	best := -1
	for i, m := range p.SourceMirrors {
		if strings.HasPrefix(p.Pin.Project, m.From) && (best < 0 || len(m.From) > len(p.SourceMirrors[best].From)) {
			best = i
		}
	}
	if best < 0 || p.Pin.Project == "" {
		return "", false
	}
	m := p.SourceMirrors[best]
	return m.To + strings.TrimPrefix(p.Pin.Project, m.From), true
}

// projects returns the normalized URLs that count as the pin's project: the project and
// its mirrored URL. Nil when the pin has no project.
func (p Policy) projects() []string {
	if p.Pin.Project == "" {
		return nil
	}
	out := []string{normalizeGitURI(p.Pin.Project)}
	if m, ok := p.mirrored(); ok {
		out = append(out, normalizeGitURI(m))
	}
	return out
}
