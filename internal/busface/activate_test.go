package busface

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/capsuled/capsuled/internal/cgroup"
	"github.com/capsuled/capsuled/internal/manager"
	"github.com/capsuled/capsuled/internal/process/processtest"
	"github.com/capsuled/capsuled/internal/unitconf"
	"github.com/capsuled/capsuled/units"
)

// fakeManager is a capsule manager whose processes are fakes, with units
// from files; it needs no root and starts nothing.
func fakeManager(t *testing.T, files map[string]string) (*manager.Manager, *processtest.Fake) {
	t.Helper()
	dir := t.TempDir()
	unitDir := filepath.Join(dir, "units")
	os.MkdirAll(unitDir, 0o755)
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(unitDir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fake := processtest.New()
	m, err := manager.New(manager.Config{Mode: manager.User, Capsule: "fake", RuntimeDir: filepath.Join(dir, "run", "capsuled"),
		UnitPaths: []string{unitDir}, ConfigDir: unitDir, Builtin: units.User(),
		Cgroups: cgroup.Hierarchy{Root: filepath.Join(dir, "cgroup")}, CgroupBase: "capsule", Spawner: fake,
		Log: io.Discard, Env: []string{"PATH=/usr/bin:/bin"}, Home: dir, TmpfsSize: 1 << 20,
		Roots: map[unitconf.DirType]string{unitconf.DirRuntime: filepath.Join(dir, "run"), unitconf.DirState: filepath.Join(dir, "state"),
			unitconf.DirCache: filepath.Join(dir, "cache"), unitconf.DirLogs: filepath.Join(dir, "log"), unitconf.DirConfig: filepath.Join(dir, "config")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	return m, fake
}

// TestStartUnitFailures: what an activation request reports back for each
// way the unit fails, in the words of systemd 257's broker (observed);
// "startup job failed" (a start job's timeout) is in test/e2e.
func TestStartUnitFailures(t *testing.T) {
	files := map[string]string{
		"fails.service":   "[Service]\nExecStart=/bin/false\n",
		"noname.service":  "[Service]\nType=dbus\nBusName=org.x.NoName\nExecStart=/bin/sleep infinity\nTimeoutStartSec=200ms\nKillMode=mixed\n",
		"named.service":   "[Service]\nType=dbus\nBusName=org.x.Named\nExecStart=/bin/sleep infinity\n",
		"refused.service": "[Unit]\nRefuseManualStart=yes\n[Service]\nExecStart=/bin/sleep infinity\n",
	}
	for _, tt := range []struct {
		unit, want string
		proc       func(*processtest.Proc, *Face)
	}{
		{unit: "missing.service", want: "activation request failed: unknown unit"},
		{unit: "not a unit", want: "activation request failed: unknown unit"},
		{unit: "refused.service", want: "activation request failed: start refused.service: Operation refused, unit refused.service may be requested by dependency only (it is configured to refuse manual start/stop)."},
		{unit: "fails.service", want: "unit failed", proc: func(p *processtest.Proc, _ *Face) { p.ExitCode(1) }},
		{unit: "named.service", want: "", proc: func(p *processtest.Proc, f *Face) {
			f.signal(nil, &dbus.Signal{Sender: driverName, Path: driverPath, Name: "org.freedesktop.DBus.NameOwnerChanged",
				Body: []any{"org.x.Named", "", ":1.7"}})
		}},
	} {
		t.Run(tt.unit, func(t *testing.T) {
			m, fake := fakeManager(t, files)
			f := New(m, func(string) {})
			f.units = map[string][]string{"named.service": {"org.x.Named"}}
			got := make(chan string, 1)
			go func() { got <- f.startUnit(tt.unit) }()
			if tt.proc != nil {
				select {
				case p := <-fake.Spawned:
					tt.proc(p, f)
				case <-time.After(10 * time.Second):
					t.Fatal("nothing started")
				}
			}
			select {
			case why := <-got:
				if why != tt.want {
					t.Errorf("got %q, want %q", why, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no answer")
			}
		})
	}
}
