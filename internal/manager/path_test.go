package manager

import (
	"context"

	"golang.org/x/sys/unix"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/capsuled/capsuled/internal/job"
)

// TestPathDependencies checks a path unit's implicit and default
// dependencies against systemd 257's (observed.md 4c; After=-.mount left
// out, as capsuled has no mount units).
func TestPathDependencies(t *testing.T) {
	files := map[string]string{
		"d4p.path":    "[Path]\nPathExists=/nonexistent\n",
		"d4p.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		"n4p.path":    "[Unit]\nDefaultDependencies=no\n[Path]\nPathExists=/nonexistent\nUnit=d4p.service\n",
	}
	type deps map[job.Dependency][]string
	tests := []struct {
		mode Mode
		unit string
		want deps
	}{
		{User, "d4p.path", deps{job.Conflicts: {"shutdown.target"}, job.Before: {"shutdown.target", "d4p.service", "paths.target"},
			job.Triggers: {"d4p.service"}}},
		{System, "d4p.path", deps{job.Requires: {"sysinit.target"}, job.Conflicts: {"shutdown.target"},
			job.Before: {"shutdown.target", "d4p.service", "paths.target"}, job.After: {"sysinit.target"}, job.Triggers: {"d4p.service"}}},
		{User, "n4p.path", deps{job.Before: {"d4p.service"}, job.Triggers: {"d4p.service"}}},
		{System, "n4p.path", deps{job.Before: {"d4p.service"}, job.Triggers: {"d4p.service"}}},
	}
	for _, tt := range tests {
		m, _, _ := fakeEngine(t, files)
		m.cfg.Mode = tt.mode
		if _, err := m.load(tt.unit); err != nil {
			t.Fatal(err)
		}
		m.mu.Lock()
		got := m.graph.fwd[tt.unit]
		m.mu.Unlock()
		for _, d := range job.Dependencies() {
			g, w := slices.Clone(got.get(d)), slices.Clone(tt.want[d])
			slices.Sort(g)
			slices.Sort(w)
			if !slices.Equal(g, w) {
				t.Errorf("%s manager, %s: %s=%q, want %q", tt.mode, tt.unit, d, g, w)
			}
		}
	}
}

func TestConfine(t *testing.T) {
	roots := []string{"/run/capsules/a", "/tmp", "/var/lib/capsules/a"}
	tests := []struct {
		p, root, rel string
		ok           bool
	}{
		{"/tmp", "/tmp", "", true},
		{"/tmp/x/y", "/tmp", "x/y", true},
		{"/tmpx", "", "", false},
		{"/run/capsules/a/f", "/run/capsules/a", "f", true},
		{"/run/capsules/ab/f", "", "", false},
		{"/etc/hostname", "", "", false},
	}
	for _, tt := range tests {
		root, rel, ok := confine(roots, tt.p)
		if root != tt.root || rel != tt.rel || ok != tt.ok {
			t.Errorf("confine(%s) = %q %q %v", tt.p, root, rel, ok)
		}
	}
	if root, rel, ok := confine(nil, "/etc/x"); root != "/" || rel != "etc/x" || !ok {
		t.Errorf("unconfined: %q %q %v", root, rel, ok)
	}
}

func TestHiddenOrBackup(t *testing.T) {
	for name, want := range map[string]bool{".x": true, "a~": true, "a.dpkg-old": true, "a.bak": true,
		"lost+found": true, "job": false, "a.txt": false, "a.service": false} {
		if hiddenOrBackup(name) != want {
			t.Errorf("hiddenOrBackup(%q) != %v", name, want)
		}
	}
}

// TestResolveBeneath: links are followed while they stay below the root.
func TestResolveBeneath(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(root+"/a/b", 0o755))
	must(os.WriteFile(root+"/a/b/f", nil, 0o644))
	must(os.Symlink("a/b", root+"/rel"))
	must(os.Symlink(root+"/a", root+"/abs"))
	must(os.Symlink("/etc", root+"/out"))
	must(os.Symlink("../../..", root+"/a/up"))
	must(os.Symlink("a/nothing", root+"/dangling"))
	must(os.Symlink("loop", root+"/loop"))
	roots := []string{root}
	for p, want := range map[string]bool{
		"a/b/f": true, "rel/f": true, "abs/b/f": true, "a/b/../b/f": true, "out/hostname": false,
		"a/up/etc/hostname": false, "dangling": false, "loop": false, "a/b/f/x": false, "": true,
	} {
		if got := existsIn(roots, filepath.Join(root, p)); got != want {
			t.Errorf("existsIn(%s) = %v", p, got)
		}
	}
	if !existsIn(nil, "/etc/hostname") {
		t.Error("unconfined: /etc/hostname not found")
	}
	// MakeDirectory= follows no link.
	if err := makeDirBeneath(roots, root+"/out/x", 0o755); err == nil {
		t.Error("made a directory through a link")
	}
	must(makeDirBeneath(roots, root+"/new/d", 0o700))
	if fi, err := os.Stat(root + "/new/d"); err != nil || !fi.IsDir() {
		t.Errorf("new/d: %v", err)
	}
}

// TestPathOutOfWatchesFails: a path unit that cannot add its watches (the
// UID's inotify watches used up by the capsule's own processes) fails with
// Result=resources, as in systemd, instead of waiting without them.
func TestPathOutOfWatchesFails(t *testing.T) {
	m, _, _ := fakeEngine(t, map[string]string{
		"ow.path":    "[Path]\nPathExists=%h/ow/never\n",
		"ow.service": "[Service]\nExecStart=/bin/true\n",
	})
	m.paths.addWatch = func(int, uint32) (int32, error) { return -1, unix.ENOSPC }
	m.Start(context.Background(), "ow.path")
	u := m.units["ow.path"]
	if u == nil {
		t.Fatal("ow.path not loaded")
	}
	m.mu.Lock()
	active, result := u.active, u.result
	m.mu.Unlock()
	if active != stateFailed || result != resultResources {
		t.Errorf("ow.path is %s with result %s, want failed with resources", active, result)
	}
}
