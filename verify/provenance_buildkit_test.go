package verify

import "testing"

// The build context's directory is the one BuildKit builds from: the subdir query
// parameter counts when the fragment names no directory, and a context naming two
// directories (which BuildKit refuses) is in none. Found by FuzzProvenance.
func TestGitSubdirAsBuildKit(t *testing.T) {
	for uri, want := range map[string]string{
		"https://h/r.git?subdir=servers/beta#0123":              "servers/beta",
		"https://h/r.git?subdir=servers/beta#0123:servers/beta": "servers/beta",
		"https://h/r.git?subdir=servers/beta#0123:servers/alph": "",
		"https://h/r.git?subdir=a&subdir=b":                     "",
		"https://h/r.git?x=%zz&subdir=servers/beta":             "servers/beta", // BuildKit reads the well-formed pairs
		"https://h/r.git#0123:a?subdir=b":                       "a?subdir=b",   // a '?' in the fragment is the fragment's
	} {
		if got := gitSubdir(uri); got != want {
			t.Errorf("gitSubdir(%q) = %q, want %q", uri, got, want)
		}
	}
}

// An scp-like address is the repository git reads in it, so a source that names the
// project either way is compared with the pin. Found by FuzzProvenance.
func TestNormalizeGitURISCP(t *testing.T) {
	for _, uri := range []string{
		"git@github.com:example/x.git", "git@GitHub.com:example/x", "github.com:/example/x.git#main",
		"https://github.com/example/x.git", "ssh://git@github.com/example/x", "git+https://github.com/example/x@main",
	} {
		if got := normalizeGitURI(uri); got != "github.com/example/x" {
			t.Errorf("normalizeGitURI(%q) = %q, want github.com/example/x", uri, got)
		}
	}
	for _, uri := range []string{"github.com/example/x:y", "https://github.com:443/example/x"} {
		if got := normalizeGitURI(uri); got == "github.com/example/x" {
			t.Errorf("normalizeGitURI(%q) = %q: another repository", uri, got)
		}
	}
}
