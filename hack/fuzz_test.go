package hack

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fuzzModule writes a small module: package quiet has a target that never fails,
// package crash one that fails on any input longer than two bytes (the fuzzer finds one at
// once), package seed one whose committed seed fails, package none no fuzz target at all.
func fuzzModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                           "module example.com/fuzzdemo\n\ngo 1.22\n",
		"quiet/q.go":                       "package quiet\n",
		"quiet/q_test.go":                  "package quiet\n\nimport \"testing\"\n\nfunc FuzzQuiet(f *testing.F) {\n\tf.Add(\"a\")\n\tf.Fuzz(func(t *testing.T, s string) {})\n}\n",
		"crash/c.go":                       "package crash\n",
		"crash/c_test.go":                  "package crash\n\nimport \"testing\"\n\nfunc FuzzCrash(f *testing.F) {\n\tf.Add(\"a\")\n\tf.Fuzz(func(t *testing.T, s string) {\n\t\tif len(s) > 2 {\n\t\t\tt.Fatal(\"too long\")\n\t\t}\n\t})\n}\n",
		"seed/s.go":                        "package seed\n",
		"seed/s_test.go":                   "package seed\n\nimport \"testing\"\n\nfunc FuzzSeed(f *testing.F) {\n\tf.Fuzz(func(t *testing.T, s string) {\n\t\tif s == \"bad\" {\n\t\t\tt.Fatal(\"bad seed\")\n\t\t}\n\t})\n}\n",
		"seed/testdata/fuzz/FuzzSeed/0001": "go test fuzz v1\nstring(\"bad\")\n",
		"none/n.go":                        "package none\n",
		"none/n_test.go":                   "package none\n\nimport \"testing\"\n\nfunc TestNothing(t *testing.T) {}\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runFuzzScript(t *testing.T, dir string, env ...string) (string, int) {
	t.Helper()
	script, err := filepath.Abs("fuzz.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script)
	cmd.Env = append(os.Environ(), append([]string{"FUZZ_DIR=" + dir, "FUZZ_LOGS=" + t.TempDir(), "GOTOOLCHAIN=local"}, env...)...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	}
	t.Fatalf("running %s: %v\n%s", script, err, out)
	return "", 0
}

// TestFuzzScript runs hack/fuzz.sh (make fuzz) on a small module: every target is found
// and run, the table reports executions and crashers, a crasher is left in testdata/fuzz
// as a seed, a failing seed is named, and the exit status is 1.
func TestFuzzScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and fuzzes a small module (-short)")
	}
	dir := fuzzModule(t)
	out, rc := runFuzzScript(t, dir, "FUZZTIME=300x")
	if rc != 1 {
		t.Fatalf("exit status %d, want 1 (a crasher and a failing seed)\n%s", rc, out)
	}
	crashers, _ := filepath.Glob(filepath.Join(dir, "crash/testdata/fuzz/FuzzCrash/*"))
	if len(crashers) != 1 {
		t.Fatalf("crash/testdata/fuzz/FuzzCrash holds %v, want the one crasher\n%s", crashers, out)
	}
	for _, re := range []string{
		`(?m)^package +target +executions +crashers +note$`,
		`(?m)^example\.com/fuzzdemo/crash +FuzzCrash +\d+ +1 +crasher: crash/testdata/fuzz/FuzzCrash/` + regexp.QuoteMeta(filepath.Base(crashers[0])) + `$`,
		`(?m)^example\.com/fuzzdemo/quiet +FuzzQuiet +(\d{3,}) +0 +ok$`,
		`(?m)^example\.com/fuzzdemo/seed +FuzzSeed +\d+ +0 +a seed fails: FuzzSeed/0001$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", re, out)
		}
	}
	if strings.Contains(out, "none") {
		t.Errorf("the package without fuzz targets is listed:\n%s", out)
	}

	out, rc = runFuzzScript(t, dir, "FUZZTIME=300x", "FUZZ_RUN=Quiet", "FUZZ_FORMAT=md")
	if rc != 0 || !regexp.MustCompile(`(?m)^\| example\.com/fuzzdemo/quiet \| FuzzQuiet \| +\d+ \| +0 \| ok +\|$`).MatchString(out) ||
		!strings.Contains(out, "|---") {
		t.Errorf("FUZZ_RUN=Quiet FUZZ_FORMAT=md: exit %d, want 0 and one Markdown row:\n%s", rc, out)
	}
	if out, rc = runFuzzScript(t, dir, "FUZZ_RUN=NoSuchTarget"); rc != 2 || !strings.Contains(out, "no fuzz targets found") {
		t.Errorf("no matching target: exit %d, want 2:\n%s", rc, out)
	}
}
