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
		"https://rekor.sigstore.dev": "",
		"http://127.0.0.1:13000":     "",
		"http://localhost:3000/":     "",
		"http://[::1]:3000":          "",
		"http://rekor.example":       "plaintext",
		"http://10.0.0.1":            "plaintext",
		"http://127.0.0.1.evil.com":  "plaintext",
		"ftp://rekor.example":        "not an http(s) URL",
		"rekor.example":              "not an http(s) URL",
	} {
		err := CheckRekorURL(u)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckRekorURL(%s) = %v, want %q", u, err, want)
		}
	}
}
