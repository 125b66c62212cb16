package hack

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
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
	for _, lib := range []string{"catalog", "build", "sign", "verify", "source"} {
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
