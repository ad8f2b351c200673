package manager

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestEditPath(t *testing.T) {
	m, _, _ := fakeEngine(t, map[string]string{"a.service": "[Service]\nExecStart=/bin/true\n"})
	m.cfg.RuntimeConfigDir = filepath.Join(t.TempDir(), "rt")
	cfg := m.cfg.ConfigDir
	if err := os.MkdirAll(filepath.Join(cfg, "a.service.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "a.service.d/p.conf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r       EditRequest
		want    string
		invalid bool
	}{
		{EditRequest{Name: "a.service"}, filepath.Join(cfg, "a.service.d/override.conf"), false},
		{EditRequest{Name: "a.service", DropIn: "zz"}, filepath.Join(cfg, "a.service.d/zz.conf"), false},
		{EditRequest{Name: "a.service", DropIn: "zz.conf"}, filepath.Join(cfg, "a.service.d/zz.conf"), false},
		{EditRequest{Name: "a.service", Full: true}, filepath.Join(cfg, "a.service"), false},
		{EditRequest{Name: "a.service", Runtime: true}, filepath.Join(m.cfg.RuntimeConfigDir, "a.service.d/override.conf"), false},
		{EditRequest{Name: "a.service", Runtime: true, DropIn: "p"}, "", true}, // the persistent p.conf would override it
		{EditRequest{Name: "a.service", DropIn: "../x"}, "", true},
		{EditRequest{Name: "a.service", DropIn: ".hidden"}, "", true},
		{EditRequest{Name: "../a.service"}, "", true},
	} {
		got, err := m.editPath(c.r)
		if c.invalid {
			if !errors.Is(err, errInvalid) {
				t.Errorf("editPath(%+v) = %q, %v; want an invalid-argument error", c.r, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("editPath(%+v) = %q, %v; want %q", c.r, got, err, c.want)
		}
	}
}

func TestMaskUnmask(t *testing.T) {
	m, _, _ := fakeEngine(t, map[string]string{"a.service": "[Service]\nExecStart=/bin/true\n"})
	cfg := m.cfg.ConfigDir
	if err := os.Symlink("/etc/passwd", filepath.Join(cfg, "l.service")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name            string
		changes         int
		missing, exists bool
	}{
		{"a.service", 0, false, true},  // its file is there
		{"l.service", 0, true, true},   // a link to another file is there
		{"b.service", 1, true, false},  // nothing there: linked
		{"b.service", 0, false, false}, // masked already: nothing to do
	} {
		ch, missing, err := m.Mask(c.name, false)
		if c.exists != errors.Is(err, errExists) || len(ch) != c.changes || missing != c.missing {
			t.Errorf("Mask(%s) = %v, missing %v, %v; want %d changes, missing %v, exists %v", c.name, ch, missing, err, c.changes, c.missing, c.exists)
		}
	}
	if st, err := m.UnitFileState("b.service"); err != nil || st != "masked" {
		t.Errorf("UnitFileState of a masked unit: %q, %v", st, err)
	}
	for _, c := range []struct {
		name    string
		changes int
	}{{"b.service", 1}, {"b.service", 0}, {"a.service", 0}, {"l.service", 0}} {
		if ch, err := m.Unmask(c.name, false); err != nil || len(ch) != c.changes {
			t.Errorf("Unmask(%s) = %v, %v; want %d changes", c.name, ch, err, c.changes)
		}
	}
	if _, err := os.Stat(filepath.Join(cfg, "a.service")); err != nil {
		t.Errorf("unmask removed a unit file: %v", err)
	}
	if _, _, err := m.Mask("b.service", true); !errors.Is(err, errInvalid) {
		t.Errorf("Mask --runtime without a runtime directory: %v", err)
	}
}

func TestListUnitFilesStates(t *testing.T) {
	m, _, _ := fakeEngine(t, map[string]string{
		"s.service": "[Service]\nExecStart=/bin/true\n",
		"d.service": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=default.target\n",
		"t.timer":   "[Timer]\nOnActiveSec=1h\n",
	})
	cfg := m.cfg.ConfigDir
	for link, target := range map[string]string{"m.service": "/dev/null", "al.service": "d.service", "bad.service": "/nonexistent/x.service"} {
		if err := os.Symlink(target, filepath.Join(cfg, link)); err != nil {
			t.Fatal(err)
		}
	}
	files, err := m.ListUnitFiles()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]UnitFileEntry{}
	for _, f := range files {
		got[f.Name] = f
	}
	for _, w := range []UnitFileEntry{
		{"s.service", "static", "-"}, {"d.service", "disabled", "enabled"}, {"t.timer", "static", "-"},
		{"m.service", "masked", "enabled"}, {"al.service", "alias", "-"}, {"bad.service", "bad", "enabled"},
	} {
		if got[w.Name] != w {
			t.Errorf("%s: %+v, want %+v", w.Name, got[w.Name], w)
		}
	}
	// Sorted by type, then name.
	last := ""
	for _, f := range files {
		k := filepath.Ext(f.Name) + " " + f.Name
		if k < last {
			t.Errorf("%s listed after %s", f.Name, last)
		}
		last = k
	}
}
