package manager

import (
	"runtime"
	"testing"
	"time"
)

// TestTrimAfterIdleCollection: a collection the runtime runs while the
// manager is idle is followed by a trim (and the trim's own collection by
// none); once the manager stops, the watch ends.
func TestTrimAfterIdleCollection(t *testing.T) {
	m, _, _ := fakeEngine(t, map[string]string{})
	t.Cleanup(func() {
		m.mu.Lock()
		m.stopping = true
		m.mu.Unlock()
		runtime.GC() // ends the watch
	})
	m.WatchCollections()
	before := gcCycles()
	runtime.GC()
	deadline := time.Now().Add(10 * time.Second)
	for m.trimmedAt.Load() <= before {
		if time.Now().After(deadline) {
			t.Fatalf("no trim after an idle collection (collections %d -> %d)", before, gcCycles())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The trim's collection does not trim again: the count settles
	// (a loop would run hundreds; other goroutines of the test process may
	// cause one or two).
	time.Sleep(100 * time.Millisecond)
	settled := gcCycles()
	time.Sleep(300 * time.Millisecond)
	if n := gcCycles(); n > settled+3 {
		t.Errorf("collections go on while idle: %d -> %d", settled, n)
	}
}
