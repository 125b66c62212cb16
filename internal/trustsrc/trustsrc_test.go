package trustsrc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(small, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, 11), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(small, 10); err != nil || string(b) != "0123456789" {
		t.Errorf("ReadFile(small) = %q, %v", b, err)
	}
	for path, want := range map[string]string{
		big:                           big + " is larger than 10 bytes",
		"/dev/zero":                   "/dev/zero is not a regular file",
		dir:                           dir + " is not a regular file",
		filepath.Join(dir, "missing"): "no such file",
	} {
		if _, err := ReadFile(path, 10); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadFile(%s) = %v, want an error containing %q", path, err, want)
		}
	}
}

func TestCheckRekorURL(t *testing.T) {
	for u, want := range map[string]string{
		"https://rekor.sigstore.dev":      "",
		"http://127.0.0.1:13000":          "",
		"http://localhost:3000/":          "",
		"http://[::1]:3000":               "",
		"http://rekor.example":            "plaintext",
		"http://10.0.0.1":                 "plaintext",
		"http://127.0.0.1.evil.com":       "plaintext",
		"ftp://rekor.example":             "not an http(s) URL",
		"rekor.example":                   "not an http(s) URL",
		"https://":                        "not an http(s) URL",
		"https://:443":                    "no host",
		"http://:13000":                   "no host",
		"http://[::1":                     "not an http(s) URL",
		"https://rek or.example":          "not an http(s) URL",
		"https://user:pw@rekor.example":   "credentials, a query or a fragment",
		"http://user@127.0.0.1:13000":     "credentials, a query or a fragment",
		"https://rekor.example/?x=1":      "credentials, a query or a fragment",
		"https://rekor.example/#frag":     "credentials, a query or a fragment",
		"https://rekor.example:3000/path": "",
		"http://[::1]:3000/":              "",
		"http://LOCALHOST:3000":           "",
		"http://127.1.2.3:3000":           "",
		"http://[::ffff:127.0.0.1]:3000":  "",
		"http://0.0.0.0:3000":             "plaintext",
		"http://localhost.evil.com":       "plaintext",
	} {
		err := CheckRekorURL(u)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckRekorURL(%s) = %v, want %q", u, err, want)
		}
	}
}
