package manager

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// targetManager is a manager whose unit directory holds files; targets
// need neither root nor cgroups.
func targetManager(t *testing.T, files map[string]string) *Manager {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := New(Config{Mode: User, RuntimeDir: t.TempDir(), UnitPaths: []string{dir}, Log: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", p)
	return len(p), nil
}

func TestFeedOrder(t *testing.T) {
	m := targetManager(t, map[string]string{
		"a.target": "[Unit]\nWants=b.target\n",
		"b.target": "[Unit]\n",
	})
	sub := m.events.subscribe()
	defer sub.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := m.Start(ctx, "a.target"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Stop(ctx, "a.target"); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		unit     string
		old, new ActiveState
		sub      SubState
	}{
		{"b.target", stateInactive, stateActive, subActive},
		{"a.target", stateInactive, stateActive, subActive},
		{"a.target", stateActive, stateInactive, subDead},
	}
	for _, w := range want {
		e, ok := sub.next(ctx)
		if !ok {
			t.Fatalf("no event, want %s %s -> %s", w.unit, w.old, w.new)
		}
		if e.Unit != w.unit || e.Old != w.old || e.New != w.new || e.Sub != w.sub {
			t.Errorf("event %s %s -> %s (%s), want %s %s -> %s (%s)", e.Unit, e.Old, e.New, e.Sub, w.unit, w.old, w.new, w.sub)
		}
	}
	u, _ := m.load("a.target")
	m.mu.Lock()
	st := u.stamps
	m.mu.Unlock()
	if st.inactiveExit.mono == 0 || st.activeEnter.mono == 0 || st.activeExit.mono == 0 || st.inactiveEnter.mono == 0 ||
		st.inactiveEnter.mono < st.activeEnter.mono {
		t.Errorf("timestamps not recorded in order: %+v", st)
	}
}

func TestFeedNeverBlocks(t *testing.T) {
	var f feed
	slow := f.subscribe() // never read until the end
	defer slow.close()
	u := &Unit{name: "x.service", events: &f}
	for i := 0; i < 10000; i++ {
		u.setState(stateActivating, subStart)
		u.result = resultExitCode
		u.setState(stateFailed, subFailed)
	}
	ctx := context.Background()
	for i := 0; i < 20000; i++ {
		e, ok := slow.next(ctx)
		if !ok {
			t.Fatalf("event %d missing", i)
		}
		if i%2 == 1 && (e.New != stateFailed || e.Result != resultExitCode) {
			t.Fatalf("event %d: %s result %s, want failed exit-code", i, e.New, e.Result)
		}
	}
	// No change, no event.
	u.setState(stateFailed, subFailed)
	ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if e, ok := slow.next(ctx); ok {
		t.Errorf("event %+v for a repeated state", e)
	}
}

func TestFeedClose(t *testing.T) {
	var f feed
	s := f.subscribe()
	done := make(chan bool)
	go func() {
		_, ok := s.next(context.Background())
		done <- ok
	}()
	s.close()
	if <-done {
		t.Error("next returned an event after close")
	}
	f.publish(Event{Unit: "x"}) // no subscriber left: must not panic or block
}
