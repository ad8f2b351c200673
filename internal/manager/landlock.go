package manager

import (
	"sync"

	"github.com/capsuled/capsuled/internal/executor"
)

// landlockProbe remembers whether the kernel can scope a sandbox with
// Landlock, so the warning about an old kernel is logged once.
type landlockProbe struct {
	once sync.Once
	ok   bool
}

// landlockScope reports whether units of dynamic users (capsules) can be
// cut off from abstract unix sockets and signals outside their own
// process tree (Landlock ABI 6, Linux 6.12); where not, they run without
// that scope and the manager says so once.
func (m *Manager) landlockScope() bool {
	m.landlock.once.Do(func() {
		abi := executor.LandlockABI()
		m.landlock.ok = abi >= executor.LandlockScopeABI
		if !m.landlock.ok {
			m.logf(nil, "Warning: this kernel's Landlock ABI is %d, scoping needs %d (Linux 6.12): units of dynamic users, capsules among them, can reach abstract unix sockets and signal processes outside their unit.",
				abi, executor.LandlockScopeABI)
		}
	})
	return m.landlock.ok
}
