package manager

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestReloadDuringStartKeepsLoadingUnits starts a target that requires
// many units while daemon-reloads run without pause: a reload forgets
// inactive units, and one that forgot what a start had just loaded made
// the start fail with "not found" (or left a required unit out).
func TestReloadDuringStartKeepsLoadingUnits(t *testing.T) {
	const n = 150
	files := map[string]string{}
	var req []string
	for i := range n {
		name := fmt.Sprintf("p%d.target", i)
		files[name] = "[Unit]\nDescription=member\n"
		req = append(req, name)
	}
	files["pmany.target"] = "[Unit]\nRequires=" + strings.Join(req, " ") + "\n"
	m, _, _ := fakeEngine(t, files)
	ctx := context.Background()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				m.Reload()
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	for r := range rounds {
		if _, err := m.Start(ctx, "pmany.target"); err != nil {
			t.Fatalf("round %d: %v", r, err)
		}
		for _, name := range append(req, "pmany.target") {
			m.mu.Lock()
			u := m.units[name]
			active := u != nil && u.active == stateActive
			m.mu.Unlock()
			if !active {
				t.Fatalf("round %d: %s not active after its start", r, name)
			}
		}
		// Everything inactive again, so the next reload may forget it.
		for _, name := range append(req, "pmany.target") {
			if _, err := m.Stop(ctx, name); err != nil {
				t.Fatalf("round %d: stop %s: %v", r, name, err)
			}
		}
	}
}

// TestReloadDuringServiceStartKeepsItsConfiguration rewrites and reloads a
// service's file while its start runs (ExecStartPre= still running) and
// while it stops: the run goes on with the configuration it started with,
// and the next start takes the new one. Reload used to swap the settings
// under code that read them without the lock (a data race under -race),
// so a start could mix the old ExecStartPre= with the new ExecStart=.
func TestReloadDuringServiceStartKeepsItsConfiguration(t *testing.T) {
	m, fake, _ := fakeEngine(t, map[string]string{
		"swap.service": "[Service]\nExecStartPre=/bin/true old\nExecStart=/bin/sleep old\n",
	})
	unitFile := filepath.Join(m.cfg.UnitPaths[0], "swap.service")
	ctx := context.Background()
	for round, argv := range []string{"old", "new", "newer"} {
		started := make(chan error, 1)
		go func() {
			_, err := m.Start(ctx, "swap.service")
			started <- err
		}()
		pre := spawned(t, fake)
		next := []string{"new", "newer", "newest"}[round]
		if err := os.WriteFile(unitFile, []byte("[Service]\nExecStartPre=/bin/true "+next+
			"\nExecStart=/bin/sleep "+next+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		m.Reload()
		pre.ExitCode(0)
		main := spawned(t, fake)
		if err := <-started; err != nil {
			t.Fatalf("round %d: start: %v", round, err)
		}
		if want := []string{"/bin/sleep", argv}; !slices.Equal(main.Spec.Argv, want) {
			t.Errorf("round %d: main process %q, want %q (the configuration its start began with)", round, main.Spec.Argv, want)
		}
		stopped := make(chan error, 1)
		go func() {
			_, err := m.Stop(ctx, "swap.service")
			stopped <- err
		}()
		for range 5 {
			m.Reload() // while the stop may be running
		}
		main.Kill(syscall.SIGTERM)
		if err := <-stopped; err != nil {
			t.Fatalf("round %d: stop: %v", round, err)
		}
	}
}
