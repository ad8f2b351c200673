package manager

import (
	"runtime"
	"runtime/debug"
	"time"
)

// idleTrimDelay is how long a manager must have run no job before it hands
// freed memory back to the system: an idle capsule then costs what it holds,
// not what its busiest moment needed.
const idleTrimDelay = time.Second

// scheduleTrim (re)arms the idle trim after a job; callers hold m.mu.
func (m *Manager) scheduleTrim() {
	m.jobSinceHangup = true
	m.armTrim()
}

// armTrim (re)arms the idle trim; callers hold m.mu.
func (m *Manager) armTrim() {
	if m.trim == nil {
		m.trim = time.AfterFunc(idleTrimDelay, func() {
			m.mu.Lock()
			idle := m.jobs == 0 && !m.stopping
			m.mu.Unlock()
			if idle {
				m.freeOSMemory()
			}
		})
		return
	}
	m.trim.Reset(idleTrimDelay)
}

// SetClients tells the manager that n clients are connected. When the
// last one hangs up while no job runs, and a job ran since the last
// client hung up, the manager trims (a second after,
// as after its last job): the clients of a burst of jobs, a start of
// 1,000 units say, may hang up well after their jobs ended and the first
// trim ran, and what their connections held would otherwise be found by
// the runtime's periodic collection and handed back by its paced
// background scavenger, waking an idle manager dozens of times a minute.
// A client that only asks (a status poller) costs no collection.
func (m *Manager) SetClients(n int) {
	if n != 0 {
		return
	}
	m.mu.Lock()
	if m.jobs == 0 && m.jobSinceHangup {
		m.jobSinceHangup = false
		m.armTrim()
	}
	m.mu.Unlock()
}

// trimHeap collects twice and hands all free memory back. The first
// collection only moves what sync.Pools hold (encoders and buffers of the
// last burst of clients) to their victim caches; left there, the runtime's
// next periodic collection, two minutes on, would free it and its paced
// scavenger would hand it back in dozens of wake-ups.
func trimHeap() {
	runtime.GC()
	debug.FreeOSMemory()
}
