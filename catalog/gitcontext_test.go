package catalog

import (
	"strings"
	"testing"
)

func TestParseGitContext(t *testing.T) {
	for in, want := range map[string]GitContext{
		"git://h/r.git#0123:servers/alpha":             {Remote: "git://h/r.git", Ref: "0123", Dir: "servers/alpha"},
		"git://h/r.git#0123":                           {Remote: "git://h/r.git", Ref: "0123"},
		"git@github.com:o/r.git#0123:a":                {Remote: "git@github.com:o/r.git", Ref: "0123", Dir: "a"},
		"https://h/r.git?ref=0123&subdir=servers/beta": {Remote: "https://h/r.git", Ref: "0123", Dir: "servers/beta"},
		"https://h/r.git?ref=x#0123":                   {Remote: "https://h/r.git", Ref: "0123"},
		"https://h/r.git#0123:a?subdir=b":              {Remote: "https://h/r.git", Ref: "0123", Dir: "a?subdir=b"},
		"https://h/r.git":                              {Remote: "https://h/r.git"},
		"https://h/r.git?x=%zz&subdir=servers/beta":    {Remote: "https://h/r.git", Dir: "servers/beta"},     // the well-formed pairs count
		"https://h/r.git?subdir=/b/#0123:b":            {Remote: "https://h/r.git", Ref: "0123", Dir: "/b/"}, // the same directory
	} {
		got, err := ParseGitContext(in)
		if err != nil || got != want {
			t.Errorf("ParseGitContext(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
}

func TestCleanDir(t *testing.T) {
	for d, want := range map[string]string{"": ".", ".": ".", "/": ".", "servers/alpha/": "servers/alpha", "./a": "a"} {
		if got := CleanDir(d); got != want {
			t.Errorf("CleanDir(%q) = %q, want %q", d, got, want)
		}
	}
}

func TestParseGitContextTwoDirectories(t *testing.T) {
	for _, in := range []string{"https://h/r.git?subdir=a#0123:b", "https://h/r.git?subdir=a&subdir=b"} {
		if g, err := ParseGitContext(in); err == nil || !strings.Contains(err.Error(), "git context") || g.Remote != "https://h/r.git" || g.Dir != "" {
			t.Errorf("ParseGitContext(%q) = %+v, %v; want an error", in, g, err)
		}
	}
}

// A context made by ContextURL parses back to the entry's pin.
func TestContextURLRoundTrip(t *testing.T) {
	const commit = "0123456789abcdef0123456789abcdef01234567"
	for _, src := range []Source{
		{Project: "https://github.com/o/r", Commit: commit, Directory: "servers/a/"},
		{Project: "git@github.com:o/r.git", Commit: commit},
		{Project: "git://h/r", Commit: commit, Directory: "."},
	} {
		s := &Server{Source: src}
		g, err := ParseGitContext(s.ContextURL())
		if err != nil || g.Ref != commit || CleanDir(g.Dir) != CleanDir(src.Directory) || g.String() != s.ContextURL() {
			t.Errorf("ParseGitContext(%q) = %+v, %v", s.ContextURL(), g, err)
		}
	}
}

func TestIsCommit(t *testing.T) {
	if !IsCommit("0123456789abcdef0123456789abcdef01234567") {
		t.Error("IsCommit rejects a lowercase 40-hex commit")
	}
	for _, c := range []string{"", "0123456", "0123456789ABCDEF0123456789abcdef01234567", "0123456789abcdef0123456789abcdef012345678",
		"0123456789abcdef0123456789abcdef01234567\n", "main", strings.Repeat("a", 64)} {
		if IsCommit(c) {
			t.Errorf("IsCommit(%q) = true", c)
		}
		if checkCommit(c) == "" {
			t.Errorf("checkCommit(%q) accepts what IsCommit rejects", c)
		}
	}
}
