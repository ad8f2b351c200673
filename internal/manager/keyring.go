package manager

import "github.com/capsuled/capsuled/internal/keyring"

// keyringMode is the effective KeyringMode= of u: systemd's defaults are
// private for services of the system manager and inherit in user managers.
func (m *Manager) keyringMode(u *Unit) keyring.Mode {
	if u.svc.KeyringMode != "" {
		return u.svc.KeyringMode
	}
	if m.cfg.Mode == System {
		return keyring.Private
	}
	return keyring.Inherit
}
