package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/sign"
)

func TestGenerateKeyPair(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "release")
	t.Setenv(cliutil.EnvCosignPassword, "s3cret")
	out, errOut, code, err := run(t, "generate-key-pair", "--output-key-prefix", prefix)
	if code != 0 {
		t.Fatalf("exit %d: %v\n%s", code, err, errOut)
	}
	if strings.TrimSpace(out) != prefix+".pub" || strings.Contains(out+errOut, "s3cret") {
		t.Errorf("stdout %q stderr %q", out, errOut)
	}
	st, err := os.Stat(prefix + ".key")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v %v", st, err)
	}
	if _, err := sign.LoadKeyFile(prefix+".key", []byte("s3cret")); err != nil {
		t.Errorf("generated key does not load: %v", err)
	}
	// Never overwrites.
	before, _ := os.ReadFile(prefix + ".key")
	if _, _, code, err := run(t, "generate-key-pair", "--output-key-prefix", prefix); code != cliutil.ExitUsage ||
		!strings.Contains(err.Error(), "already exists") {
		t.Errorf("second run: exit %d, %v", code, err)
	}
	after, _ := os.ReadFile(prefix + ".key")
	if string(before) != string(after) {
		t.Error("existing key was overwritten")
	}
}

func TestGenerateKeyPairNeedsPasswordEnv(t *testing.T) {
	t.Setenv(cliutil.EnvCosignPassword, "")
	os.Unsetenv(cliutil.EnvCosignPassword)
	prefix := filepath.Join(t.TempDir(), "k")
	_, _, code, err := run(t, "generate-key-pair", "--output-key-prefix", prefix)
	if code != cliutil.ExitUsage || !strings.Contains(err.Error(), cliutil.EnvCosignPassword) {
		t.Errorf("exit %d, %v", code, err)
	}
	if _, err := os.Stat(prefix + ".key"); err == nil {
		t.Error("key written without a password")
	}
	if _, _, code, _ := run(t, "generate-key-pair", "extra"); code != cliutil.ExitUsage {
		t.Errorf("generate-key-pair extra: exit %d", code)
	}
}
