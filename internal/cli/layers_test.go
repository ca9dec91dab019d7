package cli

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The direction of imports, checked on every Go file of the module, tests
// included (docs/architecture.md says why):
//
//	internal/safetext, internal/termcap   leaves
//	psp, psp/brcode, psp/sandbox          ConnectPSP
//	store, store/pgtest                   the journal
//	store/engine, internal/export         what runs on the journal; what is read out of it
//	ui                                    the screens
//	internal/cli                          the commands and their wiring
//	the module root (main.go)             Main
//
// A package imports packages of lower layers only, or of its own tree in
// its layer (psp/sandbox imports psp/brcode; internal/export does not import
// store/engine). psp and psp/brcode use the standard library alone besides
// the leaves; psp/sandbox may add its two (uuid, rsc.io/qr); Bubble Tea,
// bubbles and lipgloss belong to ui and internal/cli.
const modulePath = "github.com/pixdesk/pixdesk"

// layers orders the module's package trees; a package belongs to the
// longest tree that holds its path.
var layers = []struct {
	tree  string
	layer int
}{
	{"internal/safetext", 0}, {"internal/termcap", 0},
	{"psp", 1},
	{"store", 2},
	{"store/engine", 3}, {"internal/export", 3},
	{"ui", 4},
	{"internal/cli", 5},
	{"", 6},
}

// treeOf returns the tree and layer of the module package at rel ("" for
// the root).
func treeOf(rel string) (string, int) {
	best, layer := "", -1
	for _, l := range layers {
		if (rel == l.tree || l.tree == "" || strings.HasPrefix(rel, l.tree+"/")) && (layer < 0 || len(l.tree) > len(best)) {
			best, layer = l.tree, l.layer
		}
	}
	return best, layer
}

// thirdParty says which packages outside the module a tree may import:
// nil allows any; the standard library is always allowed.
func thirdParty(rel, imp string) bool {
	tui := strings.HasPrefix(imp, "github.com/charmbracelet/bubbletea") || strings.HasPrefix(imp, "github.com/charmbracelet/bubbles") ||
		strings.HasPrefix(imp, "github.com/charmbracelet/lipgloss") || strings.HasPrefix(imp, "github.com/charmbracelet/x/exp/teatest")
	switch {
	case rel == "psp" || rel == "psp/brcode":
		return false
	case rel == "psp/sandbox":
		return imp == "github.com/google/uuid" || imp == "rsc.io/qr"
	case tui:
		return rel == "ui" || rel == "internal/cli"
	}
	return true
}

// allowed reports whether the package at rel may import imp, and why not.
// A test file's dependencies outside the module are its own (a QR decoder
// proving the sandbox's codes); inside it, the direction holds for tests
// too.
func allowed(rel, imp string, test bool) (bool, string) {
	first, _, _ := strings.Cut(imp, "/")
	if !strings.Contains(first, ".") {
		return true, "" // the standard library
	}
	if imp != modulePath && !strings.HasPrefix(imp, modulePath+"/") {
		if test || thirdParty(rel, imp) {
			return true, ""
		}
		return false, "not a dependency this package may have"
	}
	target := strings.TrimPrefix(strings.TrimPrefix(imp, modulePath), "/")
	tree, layer := treeOf(rel)
	ttree, tlayer := treeOf(target)
	switch {
	case tlayer < layer:
		return true, ""
	case tlayer == layer && ttree == tree:
		return true, ""
	}
	return false, "against the direction " + "(layer " + strconv.Itoa(layer) + " " + strconv.Quote(tree) + " imports layer " +
		strconv.Itoa(tlayer) + " " + strconv.Quote(ttree) + ")"
}

// TestImportDirection parses the imports of every Go file in the module.
func TestImportDirection(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil || !strings.Contains(string(b), "module "+modulePath+"\n") {
		t.Fatalf("no go.mod of %s at %s: %v", modulePath, root, err)
	}
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		if rel == "." {
			rel = ""
		}
		for _, spec := range f.Imports {
			imp, _ := strconv.Unquote(spec.Path.Value)
			if ok, why := allowed(rel, imp, strings.HasSuffix(path, "_test.go")); !ok {
				name, _ := filepath.Rel(root, path)
				t.Errorf("%s imports %s: %s", name, imp, why)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("only %d Go files found under %s", files, root)
	}
}

// The rule refuses what it is there to refuse.
func TestImportRule(t *testing.T) {
	for _, tc := range []struct {
		rel, imp string
		ok       bool
	}{
		{"ui", modulePath + "/store/engine", true},
		{"store/engine", modulePath + "/ui", false},
		{"store", modulePath + "/store/engine", false},
		{"store/engine", modulePath + "/store", true},
		{"psp/sandbox", modulePath + "/psp/brcode", true},
		{"psp", modulePath + "/store", false},
		{"psp", modulePath + "/internal/safetext", true},
		{"internal/export", modulePath + "/store/engine", false},
		{"ui", modulePath + "/internal/export", true},
		{"ui", modulePath + "/internal/cli", false},
		{"internal/safetext", modulePath + "/psp", false},
		{"", modulePath + "/internal/cli", true},
		{"internal/cli", modulePath, false},
		{"psp", "github.com/google/uuid", false},
		{"psp/sandbox", "github.com/google/uuid", true},
		{"store", "github.com/charmbracelet/lipgloss", false},
		{"store/engine", "github.com/charmbracelet/bubbletea", false},
		{"ui", "github.com/charmbracelet/bubbletea", true},
		{"store", "net/http", true},
	} {
		if ok, why := allowed(tc.rel, tc.imp, false); ok != tc.ok {
			t.Errorf("%q importing %q: allowed %v (%s), want %v", tc.rel, tc.imp, ok, why, tc.ok)
		}
	}
	if ok, _ := allowed("store", modulePath+"/ui", true); ok {
		t.Error("a test file of store may import ui")
	}
}
