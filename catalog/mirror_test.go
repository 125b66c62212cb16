package catalog

import (
	"strings"
	"testing"
)

func TestParseMirrorErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "want FROM=TO"},
		{"https://github.com/", "want FROM=TO"},
		{"=git://m/", "empty FROM"},
		{"https://github.com/=", "empty TO"},
		{"https://github.com/= ", "empty TO"},
		{"https://github.com/=mirror/", "TO must start with"},
		{"https://github.com/=file:///srv/git/", "TO must start with"},
		{"https://github.com/=ftp://m/", "TO must start with"},
		{"https://github.com/=https:///path", "no host"},
		{"https://github.com/=https://m:bad/", "not a URL"},
	}
	for _, tc := range tests {
		m, err := ParseMirror(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseMirror(%q) = %+v, %v; want error containing %q", tc.in, m, err, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), "source mirror") {
			t.Errorf("ParseMirror(%q) error %q does not say what was parsed", tc.in, err)
		}
	}
}

func TestParseMirrorsDuplicates(t *testing.T) {
	if _, err := ParseMirrors([]string{"https://a/=git://m1/", "https://a/=git://m2/"}); err == nil || !strings.Contains(err.Error(), "already maps") {
		t.Errorf("conflicting FROM: err = %v", err)
	}
	ms, err := ParseMirrors([]string{"https://a/=git://m1/", "https://a/=git://m1/"})
	if err != nil || len(ms) != 1 {
		t.Errorf("repeated identical mirror: %v, %v", ms, err)
	}
}

func TestMirrorsRewrite(t *testing.T) {
	ms, err := ParseMirrors([]string{
		"https://github.com/=git://mirror:9418/github/",
		"https://github.com/acme/=https://git.acme.internal/",
		" https://gitlab.com/ = ssh://git@m/gl/ ",
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"https://github.com/x/y", "git://mirror:9418/github/x/y"},
		{"https://github.com/acme/tool", "https://git.acme.internal/tool"}, // longest prefix wins
		{"https://gitlab.com/a/b.git", "ssh://git@m/gl/a/b.git"},
		{"https://example.com/a/b", "https://example.com/a/b"},
		{"http://github.com/x/y", "http://github.com/x/y"},
	}
	for _, tc := range tests {
		if got := ms.Rewrite(tc.in); got != tc.want {
			t.Errorf("Rewrite(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Mirrors(nil).Rewrite("https://a/b"); got != "https://a/b" {
		t.Errorf("nil Mirrors rewrote to %q", got)
	}
}

// mcpverify used to accept any non-empty FROM=TO (and a FROM mapped twice), where
// mcpbuild refused them: a TO that BuildKit cannot fetch from was then a mirror mcpverify
// trusted though no mcpbuild build could have used it. Both now apply the one rule.
func TestMirrorRuleOnceForBothTools(t *testing.T) {
	for _, spec := range []string{"https://github.com/=mirror/", "https://github.com/=file:///srv/git/", "https://github.com/=https:///p"} {
		if _, err := ParseMirror(spec); err == nil {
			t.Errorf("ParseMirror(%q) accepted a TO BuildKit cannot fetch from", spec)
		}
		from, to, _ := strings.Cut(spec, "=")
		if err := (Mirrors{{From: from, To: to}}).Validate(); err == nil || !strings.Contains(err.Error(), "source mirror") {
			t.Errorf("Mirrors{%q}.Validate() = %v, want a source mirror error", spec, err)
		}
	}
	if err := (Mirrors{{From: "https://a/", To: "git://m1/"}, {From: "https://a/", To: "git://m2/"}}).Validate(); err == nil || !strings.Contains(err.Error(), "already maps") {
		t.Errorf("conflicting FROM: Validate() = %v", err)
	}
	for _, m := range []Mirror{{From: "https://github.com/"}, {To: "git://m/"}, {From: " https://a/", To: "git://m/"}} {
		if err := m.Validate(); err == nil {
			t.Errorf("%+v.Validate() = nil", m)
		}
	}
	if err := (Mirrors{{From: "https://a/", To: "git://m1/"}, {From: "https://a/", To: "git://m1/"}}).Validate(); err != nil {
		t.Errorf("repeated identical mirror: %v", err)
	}
}
