package verify

import "testing"

func TestGitSubdir(t *testing.T) {
	for uri, want := range map[string]string{
		"git://h/r.git#0123:servers/alpha":             "servers/alpha",
		"git://h/r.git#0123:/servers/alpha/":           "servers/alpha",
		"git://h/r.git#0123:./servers/alpha":           "servers/alpha",
		"git://h/r.git#0123":                           ".",
		"git://h/r.git#0123:":                          ".",
		"https://h/r.git?ref=0123&subdir=servers/beta": "servers/beta",
		"https://h/r.git?ref=0123":                     ".",
		"https://h/r.git":                              ".",
		"git@github.com:o/r.git#0123:servers/alpha":    "servers/alpha",
	} {
		if got := gitSubdir(uri); got != want {
			t.Errorf("gitSubdir(%q) = %q, want %q", uri, got, want)
		}
	}
	for d, want := range map[string]string{"": ".", ".": ".", "/": ".", "servers/alpha/": "servers/alpha", "./a": "a"} {
		if got := cleanDir(d); got != want {
			t.Errorf("cleanDir(%q) = %q, want %q", d, got, want)
		}
	}
}
