package manager

import (
	"os/exec"
	"strings"
	"testing"
)

// The engine imports no transport: the varlink interface, its types and
// D-Bus belong to the faces (internal/control), so the engine can be used
// and tested without them.
func TestEngineImportsNoTransport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{
		"github.com/capsuled/capsuled/internal/api",
		"github.com/capsuled/capsuled/internal/varlink",
		"github.com/capsuled/capsuled/internal/control",
		"github.com/godbus/dbus/v5",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("internal/manager depends on %s", dep)
			}
		}
	}
}
