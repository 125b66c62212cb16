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
}

func TestBestAttestation(t *testing.T) {
	pass, errd, failed := Check{Status: StatusPass}, Check{Status: StatusError}, Check{Status: StatusFail, Detail: "first"}
	for _, c := range []struct {
		in   []Check
		want Status
	}{
		{[]Check{failed, errd, pass}, StatusPass}, // one that verifies decides
		{[]Check{failed, errd}, StatusError},      // the unreadable one might have verified
		{[]Check{failed, {Status: StatusFail}}, StatusFail},
	} {
		got, ok := bestAttestation(c.in)
		if !ok || got.Status != c.want || c.want == StatusFail && got.Detail != "first" {
			t.Errorf("bestAttestation(%v) = %+v, want %s", c.in, got, c.want)
		}
	}
	if _, ok := bestAttestation(nil); ok {
		t.Error("bestAttestation(nil) found one")
	}
}
