package unitconf

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/units"
)

// TestBuiltinUnits parses every built-in unit: none may be refused or draw
// a warning.
func TestBuiltinUnits(t *testing.T) {
	checked := 0
	for _, fsys := range []fs.FS{units.System(), units.User()} {
		l := &unit.Loader{Builtin: fsys}
		names, err := fs.Glob(fsys, "*.*")
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if strings.HasSuffix(name, ".wants") {
				continue
			}
			n, err := unit.ParseName(name)
			if err != nil {
				continue
			}
			if n.IsTemplate() {
				name = n.Prefix + "@tatze." + n.Type
			}
			f, err := l.Load(name)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			checked++
			sp := unit.Specifiers{Name: name, RuntimeDir: "/run/capsules/tatze"}
			if _, w, err := Parse(name, f.Options, sp.Expand); err != nil || len(w) > 0 {
				t.Errorf("%s: refused (%v) or warned: %v", name, err, w)
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d built-in units found", checked)
	}
}
