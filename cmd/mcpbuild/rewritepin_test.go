package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/catalog"
)

var (
	oldPin = strings.Repeat("a", 40)
	newPin = strings.Repeat("b", 40)
)

func pinEntry(commit string) string {
	return "name: x\nimage: mcp/x\ntype: server\nsource:\n  project: https://github.com/x/y\n  commit: " + commit + "\n"
}

// dirEntries lists the names in dir, so a test sees leftover temporary files.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestRewritePinKeepsModeAndLeavesNothingBehind(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "server.yaml")
	if err := os.WriteFile(path, []byte(pinEntry(oldPin)), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil { // past the umask
		t.Fatal(err)
	}
	if err := rewritePin(path, oldPin, newPin); err != nil {
		t.Fatalf("rewritePin() = %v", err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != pinEntry(newPin) {
		t.Fatalf("after rewritePin: %q, %v", got, err)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode() != 0o640 {
		t.Errorf("after rewritePin: mode %v, %v, want -rw-r-----", fi.Mode(), err)
	}
	if names := dirEntries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v after rewritePin, want server.yaml alone", names)
	}
}

// TestRewritePinRefusesWhatItWouldNotReplaceInPlace: a symbolic link would become a
// regular file (and its target keep the old pin), a directory or device is no entry,
// and a file over the catalog's size limit is not read whole.
func TestRewritePinRefusesWhatItWouldNotReplaceInPlace(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.yaml")
	if err := os.WriteFile(target, []byte(pinEntry(oldPin)), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link", "server.yaml")
	os.Mkdir(filepath.Dir(link), 0o755)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	notFile := filepath.Join(dir, "dir", "server.yaml")
	if err := os.MkdirAll(notFile, 0o755); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big", "server.yaml")
	os.Mkdir(filepath.Dir(big), 0o755)
	bigBody := pinEntry(oldPin) + "#" + strings.Repeat("x", catalog.MaxFileSize) + "\n"
	if err := os.WriteFile(big, []byte(bigBody), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{link, "is a symbolic link"},
		{notFile, "not a regular file"},
		{big, "over the 1048576-byte (1 MiB) limit"},
	} {
		err := rewritePin(tc.path, oldPin, newPin)
		if err == nil || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("rewritePin(%s) = %v, want an error naming the file: %s", tc.path, err, tc.want)
		}
		if names := dirEntries(t, filepath.Dir(tc.path)); len(names) != 1 {
			t.Errorf("%s holds %v after a refused rewrite, want server.yaml alone", filepath.Dir(tc.path), names)
		}
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symbolic link was replaced: %v, %v", fi.Mode(), err)
	}
	if got, _ := os.ReadFile(target); string(got) != pinEntry(oldPin) {
		t.Errorf("the link's target changed: %q", got)
	}
	if got, _ := os.ReadFile(big); string(got) != bigBody {
		t.Errorf("the oversized file changed")
	}
}
