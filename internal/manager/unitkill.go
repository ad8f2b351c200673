package manager

import (
	"fmt"
	"syscall"
)

// Kill sends sig to processes of a loaded unit, as systemctl kill does:
// whom is "main" (the main process), "control" (a control process) or
// "all" (the default: the main process, then every other process in the
// unit's cgroup, each signaled once). A unit with no processes is no
// error for "all".
func (m *Manager) Kill(name string, sig syscall.Signal, whom string) error {
	if sig <= 0 || sig > 64 {
		return worded(errInvalid, "Signal number out of range.")
	}
	switch whom {
	case "":
		whom = "all"
	case "all", "main", "control":
	default:
		return fmt.Errorf("%w: Invalid whom argument: %s", errInvalid, whom)
	}
	m.mu.Lock()
	u, ok := m.units[name]
	if !ok {
		m.mu.Unlock()
		return worded(errNoSuchUnit, "Unit %s not loaded.", name)
	}
	rs := u.run
	running := rs != nil && u.active != stateInactive && u.active != stateFailed
	m.mu.Unlock()
	// Control processes (ExecStartPre=, ExecStop=, ...) are not tracked
	// one by one; a signal for them is refused as when none runs.
	if whom == "control" {
		return fmt.Errorf("%w: No control process to kill", errInvalid)
	}
	mainPID := 0
	if running && rs.main != nil && !rs.main.HasExited() {
		if err := rs.main.Signal(sig); err != nil {
			return fmt.Errorf("kill %s: main process %d: %w", name, rs.main.PID, err)
		}
		mainPID = rs.main.PID
	}
	if whom == "main" {
		if mainPID == 0 {
			return fmt.Errorf("%w: No main process to kill", errInvalid)
		}
		return nil
	}
	if !running || rs.cgroup == "" {
		return nil
	}
	if err := m.cfg.Cgroups.SignalExcept(rs.cgroup, sig, true, mainPID); err != nil {
		return fmt.Errorf("kill %s: %w", name, err)
	}
	return nil
}
