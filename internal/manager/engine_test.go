package manager

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/cgroup"
	"github.com/capsuled/capsuled/internal/process/processtest"
	"github.com/capsuled/capsuled/units"
)

// fakeEngine is a user-mode manager whose processes are fakes and whose
// cgroup hierarchy is a plain directory tree in t.TempDir(): it needs no
// root and starts no process.
func fakeEngine(t testing.TB, files map[string]string) (*Manager, *processtest.Fake, string) {
	t.Helper()
	dir := t.TempDir()
	unitDir := filepath.Join(dir, "units")
	if err := os.MkdirAll(unitDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(unitDir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fake := processtest.New()
	cgRoot := filepath.Join(dir, "cgroup")
	m, err := New(Config{Mode: User, Capsule: "fake", RuntimeDir: filepath.Join(dir, "run"),
		UnitPaths: []string{unitDir}, ConfigDir: unitDir, Builtin: units.User(),
		Cgroups: cgroup.Hierarchy{Root: cgRoot}, CgroupBase: "capsule", Spawner: fake,
		Log: io.Discard, Env: []string{"PATH=/usr/bin:/bin"}, Home: dir, TmpfsSize: 1 << 20,
		Roots: map[dirType]string{dirRuntime: filepath.Join(dir, "run"), dirState: filepath.Join(dir, "state"),
			dirCache: filepath.Join(dir, "cache"), dirLogs: filepath.Join(dir, "log"), dirConfig: filepath.Join(dir, "config")}})
	if err != nil {
		t.Fatal(err)
	}
	return m, fake, cgRoot
}

// spawned returns the next process the engine started.
func spawned(t *testing.T, f *processtest.Fake) *processtest.Proc {
	t.Helper()
	select {
	case p := <-f.Spawned:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no process started")
		return nil
	}
}

// unitState reads u's state as the engine records it.
func unitState(m *Manager, u *Unit) (active ActiveState, sub, result string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return u.active, u.sub.String(), u.result.String()
}

// waitState waits until u reaches active state want.
func waitState(t *testing.T, m *Manager, u *Unit, want ActiveState) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if a, _, _ := unitState(m, u); a == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	a, s, r := unitState(m, u)
	t.Fatalf("%s: state %s/%s (result %q), want %s", u.name, a, s, r, want)
}

// TestEngineTargetAndServiceWithFakeProcesses drives a target that wants
// a service through start and stop: the ExecStartPre= helper must have
// ended before the main process starts, the main process gets the unit's
// environment and cgroup, and a stop waits for the main process to end.
func TestEngineTargetAndServiceWithFakeProcesses(t *testing.T) {
	m, fake, cgRoot := fakeEngine(t, map[string]string{
		"fake.target": "[Unit]\nWants=fake.service\n",
		"fake.service": "[Service]\nExecStartPre=/bin/true pre\nExecStart=/bin/sleep infinity\n" +
			"Environment=GREETING=hello\n",
	})
	ctx := context.Background()
	started := make(chan error, 1)
	go func() {
		_, err := m.Start(ctx, "fake.target")
		started <- err
	}()
	pre := spawned(t, fake)
	if !slices.Equal(pre.Spec.Argv, []string{"/bin/true", "pre"}) {
		t.Fatalf("first process %q, want the ExecStartPre= helper", pre.Spec.Argv)
	}
	select {
	case p := <-fake.Spawned:
		t.Fatalf("%q started before ExecStartPre= ended", p.Spec.Argv)
	case <-time.After(50 * time.Millisecond):
	}
	pre.ExitCode(0)
	main := spawned(t, fake)
	if err := <-started; err != nil {
		t.Fatalf("start: %v", err)
	}
	if !slices.Equal(main.Spec.Argv, []string{"/bin/sleep", "infinity"}) || main.Spec.Path != "/bin/sleep" {
		t.Errorf("main process %s %q", main.Spec.Path, main.Spec.Argv)
	}
	if !slices.Contains(main.Spec.Env, "GREETING=hello") || !slices.ContainsFunc(main.Spec.Env, func(kv string) bool {
		return strings.HasPrefix(kv, "INVOCATION_ID=")
	}) {
		t.Errorf("main process environment %q lacks the unit's", main.Spec.Env)
	}
	if want := filepath.Join(cgRoot, "capsule", "app.slice", "fake.service"); main.Spec.Cgroup != want {
		t.Errorf("main process cgroup %s, want %s", main.Spec.Cgroup, want)
	}
	svc, tgt := m.units["fake.service"], m.units["fake.target"]
	for _, u := range []*Unit{svc, tgt} {
		if a, _, _ := unitState(m, u); a != stateActive {
			t.Errorf("%s: %s after start, want active", u.name, a)
		}
	}
	if _, sub, _ := unitState(m, svc); sub != "running" {
		t.Errorf("fake.service: sub-state %s, want running", sub)
	}

	stopped := make(chan error, 1)
	go func() {
		_, err := m.Stop(ctx, "fake.service")
		stopped <- err
	}()
	waitState(t, m, svc, stateDeactivating)
	select {
	case err := <-stopped:
		t.Fatalf("stop returned (%v) while the main process still ran", err)
	case <-time.After(50 * time.Millisecond):
	}
	main.Kill(syscall.SIGTERM) // as the cgroup's SIGTERM would
	if err := <-stopped; err != nil {
		t.Fatalf("stop: %v", err)
	}
	if a, sub, res := unitState(m, svc); a != stateInactive || sub != "dead" || res != "success" {
		t.Errorf("fake.service after stop: %s/%s result %s, want inactive/dead success", a, sub, res)
	}
	if _, err := os.Stat(main.Spec.Cgroup); !os.IsNotExist(err) {
		t.Errorf("unit cgroup left after stop: %v", err)
	}
	if _, err := m.Stop(ctx, "fake.target"); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Procs()); n != 2 {
		t.Errorf("%d processes started, want 2", n)
	}
}

// TestEngineMainExitResult lets the main process end by itself in each way
// and checks the result the engine records, and that KillMode=mixed stops
// through the process handle.
func TestEngineMainExitResult(t *testing.T) {
	tests := []struct {
		name  string
		end   func(*processtest.Proc)
		state ActiveState
		res   string
	}{
		{"exit 0", func(p *processtest.Proc) { p.ExitCode(0) }, stateInactive, "success"},
		{"exit 3", func(p *processtest.Proc) { p.ExitCode(3) }, stateFailed, "exit-code"},
		{"SIGSEGV", func(p *processtest.Proc) { p.Kill(syscall.SIGSEGV) }, stateFailed, "signal"},
		{"SIGTERM", func(p *processtest.Proc) { p.Kill(syscall.SIGTERM) }, stateInactive, "success"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, fake, _ := fakeEngine(t, map[string]string{
				"one.service": "[Service]\nExecStart=/bin/sleep infinity\nKillMode=mixed\n",
			})
			u, err := m.Start(context.Background(), "one.service")
			if err != nil {
				t.Fatal(err)
			}
			tt.end(spawned(t, fake))
			waitState(t, m, u, tt.state)
			if _, _, res := unitState(m, u); res != tt.res {
				t.Errorf("result %s, want %s", res, tt.res)
			}
		})
	}
	t.Run("stop signals the main process", func(t *testing.T) {
		m, fake, _ := fakeEngine(t, map[string]string{
			"one.service": "[Service]\nExecStart=/bin/sleep infinity\nKillMode=mixed\nKillSignal=SIGINT\n",
		})
		if _, err := m.Start(context.Background(), "one.service"); err != nil {
			t.Fatal(err)
		}
		p := spawned(t, fake)
		stopped := make(chan error, 1)
		go func() {
			_, err := m.Stop(context.Background(), "one.service")
			stopped <- err
		}()
		for i := 0; len(p.Signals()) == 0 && i < 1000; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if got := p.Signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGINT}) {
			t.Errorf("signals %v, want [SIGINT]", got)
		}
		p.Kill(syscall.SIGINT)
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
	})
}
