package manager

import (
	"context"
	"fmt"
	"strings"
	"sync"
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
