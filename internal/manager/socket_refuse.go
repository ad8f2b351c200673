package manager

import (
	"fmt"

	"github.com/capsuled/capsuled/internal/logstore"
)

// refuseUnloadedService refuses to start a socket whose service does not
// load (not found, masked, a bad setting), as systemd 257 does: the start
// job fails and the socket stays inactive, rather than listening and
// failing at the first connection. An Accept=yes socket starts an
// instance per connection and has no one service to check.
func (m *Manager) refuseUnloadedService(u *Unit) error {
	if u.sock.Accepts() {
		return nil
	}
	svc, err := m.load(u.sock.Service)
	if err == nil && svc.loadState == loadLoaded {
		return nil
	}
	m.logAt(u, logstore.PriorityErr, "%s: Socket service %s not loaded, refusing.", u.name, u.sock.Service)
	return fmt.Errorf("start %s: socket service %s not loaded: %w", u.name, u.sock.Service, errJobFailed)
}
