package hubbub

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Every error code declared in error.go has its row in docs/protocol.md's table of error codes:
// a client author who reads it knows every code an error frame may carry (a new one, such as
// conflict, is documented where it is declared).
func TestProtocolDocListsEveryErrorCode(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "error.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			for i, name := range v.Names {
				if !strings.HasPrefix(name.Name, "ECode") || i >= len(v.Values) {
					continue
				}
				if lit, ok := v.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					code, _ := strconv.Unquote(lit.Value)
					codes = append(codes, code)
				}
			}
		}
	}
	if len(codes) < 2 || !strings.Contains(strings.Join(codes, " "), ECodeConflict) {
		t.Fatalf("found the codes %q in error.go, expected them all", codes)
	}
	data, err := os.ReadFile("docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "\n### Errors\n")
	if !ok {
		t.Fatal("docs/protocol.md has no heading ### Errors")
	}
	table, _, _ = strings.Cut(table, "\n#")
	for _, code := range codes {
		if !strings.Contains(table, "\n| `"+code+"` |") {
			t.Errorf("error code %q is not in docs/protocol.md's table of error codes", code)
		}
	}
}
