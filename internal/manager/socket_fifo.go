package manager

import (
	"os"
	"strconv"
	"strings"
)

// fifoUmask is the umask systemd 257 leaves in force when it makes a
// ListenFIFO=: none in the system manager (PID 1 clears its umask), the
// manager's own in a capsule (0022, so a FIFO made 0666 is 0644).
func (m *Manager) fifoUmask() os.FileMode {
	if m.cfg.Mode == System {
		return 0
	}
	return processUmask()
}

// processUmask reads the process's umask without changing it (umask(2)
// would, for every thread, for a moment); 0022 if it cannot be read.
func processUmask() os.FileMode {
	b, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "Umask:"); ok {
				if n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
					return os.FileMode(n) & 0o777
				}
			}
		}
	}
	return 0o022
}
