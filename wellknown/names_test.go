package wellknown

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDocumentedNamesAreDeclared: every pullthrough metric name and
// pullthrough.dev/ label or annotation that the docs, the README or the
// deploy files mention is one this package declares, so a renamed metric
// or annotation cannot leave a runbook or an alert pointing at nothing.
// Histogram series (_bucket, _sum, _count) count as their histogram.
func TestDocumentedNamesAreDeclared(t *testing.T) {
	t.Parallel()
	declared := declaredNames(t)
	mention := regexp.MustCompile(`pullthrough_[a-z_]+[a-z]|pullthrough\.dev/[a-z-]+[a-z]`)
	var files []string
	for _, root := range []string{"../docs", "../deploy", "../README.md", "../examples"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && !strings.HasSuffix(path, "_test.go") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	checked := 0
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range mention.FindAllString(string(b), -1) {
			checked++
			if !declared[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")] && !declared[name] {
				t.Errorf("%s names %s, which package wellknown does not declare", path, name)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no name found in the docs: the walk is broken")
	}
}

// declaredNames reads the string constants of this package's source.
func declaredNames(t *testing.T) map[string]bool {
	t.Helper()
	sources, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, path := range sources {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil {
					names[v] = true
				}
			}
			return true
		})
	}
	if len(names) < 20 {
		t.Fatalf("read %d names from the package: the parse is broken", len(names))
	}
	return names
}
