package manager

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// ipcNamespace holds the IPC namespace of one PrivateIPC= invocation: the
// first process gets a new one (CLONE_NEWIPC), later ones (ExecStartPre=,
// ExecStop=, ...) join it, as under systemd. The namespace, and every
// System V object and POSIX queue in it, goes when the last process and
// this handle are gone.
type ipcNamespace struct {
	mu sync.Mutex
	f  *os.File
}

// keep records the namespace of pid, the invocation's first process.
func (n *ipcNamespace) keep(pid int) error {
	f, err := os.Open(fmt.Sprintf("/proc/%d/ns/ipc", pid))
	if err != nil {
		return fmt.Errorf("keep IPC namespace of %d: %w", pid, err)
	}
	n.f = f
	return nil
}

// close drops the manager's reference at the end of the invocation.
func (n *ipcNamespace) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.f != nil {
		n.f.Close()
		n.f = nil
	}
}

// privateIPC reports whether u's processes get an IPC namespace of their
// own. Only the system manager can make one; a capsule's manager runs
// without privileges, and its units share the capsule's namespace.
func (m *Manager) privateIPC(u *Unit) bool {
	return m.cfg.Mode == System && u.svc.PrivateIPC
}

// modeWarnings are directives u sets that this manager cannot act on.
func (m *Manager) modeWarnings(u *Unit) []string {
	var w []string
	if u.svc == nil || m.cfg.Mode == System {
		return nil
	}
	if u.svc.PrivateIPC {
		w = append(w, fmt.Sprintf("%s: PrivateIPC= needs the system manager; the unit shares its capsule's IPC namespace.", u.name))
	}
	if u.svc.ProtectProc != "" {
		w = append(w, fmt.Sprintf("%s: ProtectProc= needs the system manager; the unit sees its capsule's /proc.", u.name))
	}
	if u.svc.Devices.Restricted() {
		w = append(w, fmt.Sprintf("%s: DeviceAllow= and DevicePolicy= need the system manager; the unit has its capsule's device access.", u.name))
	}
	w = append(w, m.sandboxWarnings(u)...)
	w = append(w, m.startFailureWarnings(u)...)
	if u.svc.OOMScoreAdjust != nil && unix.Access("/proc/self/oom_score_adj", unix.W_OK) != nil {
		w = append(w, fmt.Sprintf("%s: OOMScoreAdjust= cannot be applied: /proc is read-only here; the unit keeps its manager's OOM score.", u.name))
	}
	return w
}
