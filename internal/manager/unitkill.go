package manager

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/capsuled/capsuled/internal/process"
	"golang.org/x/sys/unix"
)

// Kill sends sig to processes of a loaded unit, as systemctl kill does:
// whom is "main" (the main process), "control" (the running control
// process: ExecStartPre=, ExecReload=, ExecStop=, ...) or "all" (the
// default: both, then every other process in the unit's cgroup, each
// signaled once). A unit with no processes is no error for "all"; for
// "main" and "control" it is, with systemctl 257's words.
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
	var mainP, control *process.Process
	if running {
		mainP, control = rs.main, rs.control
	}
	m.mu.Unlock()
	if whom == "control" && (control == nil || control.HasExited()) {
		return fmt.Errorf("%w: No control process to kill", errInvalid)
	}
	if whom == "main" && (mainP == nil || mainP.HasExited()) {
		return fmt.Errorf("%w: No main process to kill", errInvalid)
	}
	var skip []int
	if whom != "control" {
		pid, err := m.killOne(u, mainP, "main", sig)
		if err != nil {
			return err
		}
		skip = append(skip, pid)
	}
	if whom != "main" {
		pid, err := m.killOne(u, control, "control", sig)
		if err != nil {
			return err
		}
		skip = append(skip, pid)
	}
	if whom != "all" || !running || rs.cgroup == "" {
		return nil
	}
	if err := m.cfg.Cgroups.SignalExcept(rs.cgroup, sig, true, skip...); err != nil {
		return fmt.Errorf("kill %s: %w", name, err)
	}
	return nil
}

// killOne signals p (through its pidfd), if it still runs, and logs it as
// systemd does; it returns p's PID, or 0 when nothing was signaled.
func (m *Manager) killOne(u *Unit, p *process.Process, role string, sig syscall.Signal) (int, error) {
	if p == nil || p.HasExited() {
		return 0, nil
	}
	comm := p.Comm
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/comm"); err == nil {
		comm = strings.TrimSuffix(string(b), "\n")
	}
	if err := p.Signal(sig); err != nil {
		return 0, fmt.Errorf("kill %s: %s process %d: %w", u.name, role, p.PID, err)
	}
	m.logf(u, "%s: Sent signal %s to %s process %d (%s) on client request.", u.name, unix.SignalName(sig), role, p.PID, comm)
	return p.PID, nil
}
