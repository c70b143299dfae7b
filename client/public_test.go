package client_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"hubbub/client"
)

// TestEveryWireTypeIsNamed fails when internal/wire gains an exported type that the client
// package does not alias: a program outside the module could receive such a frame but not
// name its type. ClientFrame is the server's union of every request, and Since one of its
// fields: neither reaches a client.
func TestEveryWireTypeIsNamed(t *testing.T) {
	serverOnly := map[string]bool{"ClientFrame": true, "Since": true}
	wireTypes := exportedTypes(t, "../internal/wire", func(*ast.TypeSpec) bool { return true })
	aliases := exportedTypes(t, ".", func(ts *ast.TypeSpec) bool {
		sel, ok := ts.Type.(*ast.SelectorExpr)
		if !ts.Assign.IsValid() || !ok {
			return false
		}
		pkg, ok := sel.X.(*ast.Ident)
		return ok && pkg.Name == "wire" && sel.Sel.Name == ts.Name.Name
	})
	for name := range wireTypes {
		if !aliases[name] && !serverOnly[name] {
			t.Errorf("wire.%s has no alias in package client: add `%s = wire.%s` to frames.go", name, name, name)
		}
	}
	for name := range aliases {
		if !wireTypes[name] {
			t.Errorf("client.%s aliases wire.%s, which does not exist", name, name)
		}
	}
}

// exportedTypes returns the exported type names declared in the non-test files of dir that
// keep says to keep.
func exportedTypes(t *testing.T, dir string, keep func(*ast.TypeSpec) bool) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.TYPE {
				continue
			}
			for _, spec := range gen.Specs {
				ts := spec.(*ast.TypeSpec)
				if ts.Name.IsExported() && keep(ts) {
					names[ts.Name.Name] = true
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatalf("no exported types found in %s", dir)
	}
	return names
}

// TestImportsNoServerPackage keeps the client light for the programs that import it: it must
// not pull in the hub, the server, the stores or Prometheus (docs/architecture.md).
func TestImportsNoServerPackage(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to list the package's dependencies: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{"hubbub/internal/hub", "hubbub/internal/server", "hubbub/internal/session",
		"hubbub/internal/transport", "hubbub/internal/sqlite", "hubbub/internal/postgres",
		"hubbub/internal/metrics", "github.com/prometheus/"}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %q", deps)
	}
	for _, dep := range deps {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f)) {
				t.Errorf("package client depends on %s", dep)
			}
		}
	}
}

// TestSeveralEmoji: several valid reactions side by side are told apart from one emoji (a
// flag, a ZWJ sequence, a skin tone) and from text, which no reaction ever was.
func TestSeveralEmoji(t *testing.T) {
	for emoji, want := range map[string]bool{
		"👍👍": true, "🇫🇷🇩🇪": true, "1️⃣2️⃣": true, "👍🎉": true,
		"👍": false, "🇫🇷": false, "👩🏽‍🚀": false, ":tada:": false, "👍a": false, "a": false, "": false,
		"👍 👍": false, strings.Repeat("😀", 9): false, "\xff👍": false,
	} {
		if got := client.SeveralEmoji(emoji); got != want {
			t.Errorf("SeveralEmoji(%q) = %v, want %v", emoji, got, want)
		}
	}
}
