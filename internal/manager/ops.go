package manager

import (
	"context"
	"fmt"
	"github.com/capsuled/capsuled/internal/job"
	"path/filepath"
)

// Restart stops name (if it is loaded) and starts it again, returning when
// the start job is done.
func (m *Manager) Restart(ctx context.Context, name string) (*Unit, error) {
	return m.startJob(ctx, name, job.Restart, job.Replace, false)
}

// BusAddress is the D-Bus address of the capsule's own bus. The broker
// accepts only its own user, which is this manager's, so a face asks it on
// a caller's behalf.
func (m *Manager) BusAddress() (string, error) {
	if m.cfg.Mode != User {
		return "", fmt.Errorf("%w: the system manager has no bus; use -C NAME for a capsule's", errInvalid)
	}
	return "unix:path=" + filepath.Join(filepath.Dir(m.cfg.RuntimeDir), "bus"), nil
}
