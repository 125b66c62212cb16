package hack

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLibrariesReadNoEnvironmentAndWriteNoStdout enforces two house rules on the library
// packages: only the cmd layer reads environment variables (cmd/internal/cliutil/env.go
// names them), and stdout belongs to the commands' results, so libraries never write to it.
func TestLibrariesReadNoEnvironmentAndWriteNoStdout(t *testing.T) {
	banned := map[string]string{
		"Getenv":    "reads the environment",
		"LookupEnv": "reads the environment",
		"Environ":   "reads the environment",
		"Stdout":    "writes to stdout",
	}
	banFmt := map[string]bool{"Print": true, "Printf": true, "Println": true}
	fset := token.NewFileSet()
	checked := 0
	for _, lib := range []string{"catalog", "build", "sign", "verify", "publish", "source", "trust", "repro"} {
		err := filepath.WalkDir(filepath.Join("..", lib), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			checked++
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				pkg, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				switch {
				case pkg.Name == "os" && banned[sel.Sel.Name] != "":
					t.Errorf("%s: os.%s %s; only cmd/ may", fset.Position(sel.Pos()), sel.Sel.Name, banned[sel.Sel.Name])
				case pkg.Name == "fmt" && banFmt[sel.Sel.Name]:
					t.Errorf("%s: fmt.%s writes to stdout; only cmd/ may", fset.Position(sel.Pos()), sel.Sel.Name)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatalf("walking %s: %v", lib, err)
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d library files; the walk is broken", checked)
	}
}

const module = "github.com/mcpbuild/mcpbuild/"

// goPackage is the part of `go list -json` the import-graph test reads.
type goPackage struct {
	ImportPath string
	Imports    []string // direct, non-test
	Deps       []string // transitive, non-test
}

// listPackages runs `go list -json` over the module and decodes its stream of packages.
func listPackages(t *testing.T) map[string]goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "./...")
	cmd.Dir = ".."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]goPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs[strings.TrimPrefix(p.ImportPath, module)] = p
	}
	return pkgs
}

// TestDependenciesPointOneWay enforces the layering cmd -> publish -> {build, sign,
// verify} -> catalog: a library never links a package above it (transitively), nothing
// but cmd/ links cmd/, and only tests link the test-helper packages. verify links sign
// (signature tags, annotations and bundle checks are sign's) but never build or publish,
// so mcpverify carries no BuildKit.
func TestDependenciesPointOneWay(t *testing.T) {
	pkgs := listPackages(t)
	forbidden := map[string][]string{
		"catalog": {"build", "sign", "verify", "publish"},
		"build":   {"sign", "verify", "publish"},
		"sign":    {"build", "verify", "publish", "github.com/moby/buildkit"},
		"verify":  {"build", "publish", "github.com/moby/buildkit"},
		"publish": {},
		"source":  {"build", "sign", "verify", "publish"},
		"trust":   {"build", "publish", "github.com/moby/buildkit"},
		"fault":   {}, // the standard library only (below)
		"repro":   {"sign", "verify", "publish", "trust"},
	}
	for lib, bans := range forbidden {
		p, ok := pkgs[lib]
		if !ok {
			t.Errorf("go list did not list %s", lib)
			continue
		}
		for _, dep := range p.Deps {
			short := strings.TrimPrefix(dep, module)
			if lib == "fault" && strings.Contains(strings.Split(dep, "/")[0], ".") {
				t.Errorf("fault depends on %s; it links the standard library only", dep)
			}
			for _, ban := range bans {
				if short == ban || strings.HasPrefix(short, ban+"/") {
					t.Errorf("%s depends on %s", lib, dep)
				}
			}
		}
	}
	for path, p := range pkgs {
		for _, dep := range p.Deps {
			short := strings.TrimPrefix(dep, module)
			if strings.HasPrefix(short, "cmd/") && !strings.HasPrefix(path, "cmd/") {
				t.Errorf("%s depends on %s; only cmd/ may", path, dep)
			}
			if (short == "sign/signtest" || short == "verify/verifytest") && !strings.HasPrefix(path, short) {
				t.Errorf("%s links the test helpers %s", path, dep)
			}
		}
	}
	// The graph was read: publish sits between cmd and the stages it runs.
	direct := func(from, to string) bool {
		for _, i := range pkgs[from].Imports {
			if i == module+to {
				return true
			}
		}
		return false
	}
	for _, edge := range [][2]string{{"publish", "build"}, {"publish", "sign"}, {"publish", "verify"}, {"cmd/mcpbuild", "publish"}, {"build", "catalog"}} {
		if !direct(edge[0], edge[1]) {
			t.Errorf("%s does not import %s: the graph read is not the module's", edge[0], edge[1])
		}
	}
}
