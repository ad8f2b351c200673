package manager

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// idleTrimDelay is how long a manager must have run no job before it hands
// freed memory back to the system: an idle capsule then costs what it holds,
// not what its busiest moment needed.
const idleTrimDelay = time.Second

// trimState is what the idle trim and the collection watch share.
type trimState struct {
	trimming  atomic.Bool
	trimmedAt atomic.Uint64 // the collection count right after the last trim
}

// scheduleTrim (re)arms the idle trim; callers hold m.mu.
func (m *Manager) scheduleTrim() {
	if m.trim == nil {
		m.trim = time.AfterFunc(idleTrimDelay, func() {
			if m.idle() {
				m.freeOSMemory()
			}
		})
		return
	}
	m.trim.Reset(idleTrimDelay)
}

// idle reports whether the manager runs no job and is not shutting down.
func (m *Manager) idle() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.jobs == 0 && !m.stopping
}

// freeOSMemory collects and hands all free memory back at once.
func (m *Manager) freeOSMemory() {
	m.trimming.Store(true)
	debug.FreeOSMemory()
	m.trimmedAt.Store(gcCycles())
	m.trimming.Store(false)
}

// WatchCollections makes the manager trim after every collection the
// runtime runs while the manager is idle (its periodic one, every 2
// minutes): what such a collection frees (connections whose clients hung
// up after the last job, say) would otherwise be handed back by the
// runtime's paced background scavenger, which wakes an idle process dozens
// of times a minute. One trim returns it all with a few wake-ups. It stops
// once the manager shuts down; a process calls it once per manager.
func (m *Manager) WatchCollections() {
	// The sentinel holds a pointer so that it is not a tiny allocation,
	// whose cleanup would wait for its neighbours.
	type sentinel struct{ _ *byte }
	runtime.AddCleanup(new(sentinel), func(m *Manager) { m.afterCollection() }, m)
}

func (m *Manager) afterCollection() {
	m.mu.Lock()
	stopping := m.stopping
	m.mu.Unlock()
	if stopping {
		return
	}
	// The trim's own collection, seen during or after it, is not one to
	// trim after.
	if !m.trimming.Load() && gcCycles() != m.trimmedAt.Load() && m.idle() {
		m.freeOSMemory()
	}
	m.WatchCollections()
}

// gcCycles is how many collections the runtime has completed.
func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
