package e2e

import (
	"fmt"
	osexec "os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// staticPrograms holds one compilation per program name.
var staticPrograms sync.Map

// staticProgram compiles testdata/NAME.c, statically linked so that it
// runs in any sandbox, once per test process, into the directory of the
// binaries under test, and returns its path.
func staticProgram(t *testing.T, name string) string {
	t.Helper()
	out := filepath.Join(e.bin, name)
	once, _ := staticPrograms.LoadOrStore(name, sync.OnceValue(func() error {
		_, err := gccStatic(filepath.Join("testdata", name+".c"), out)
		return err
	}))
	if err := once.(func() error)(); err != nil {
		t.Fatal(err)
	}
	return out
}

// gccStatic compiles the C file src into the static program out.
func gccStatic(src, out string) (string, error) {
	b, err := osexec.Command("gcc", "-static", "-O2", "-o", out, src).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("gcc: %v\n%s", err, b)
	}
	return out, nil
}
