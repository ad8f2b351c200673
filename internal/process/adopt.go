package process

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Adopter is a Spawner that can take over a process a unit's own process
// left running: the main process of a Type=forking daemon.
type Adopter interface {
	Adopt(pid int) (*Process, error)
}

// Adopt returns the handle of pid, which must be running. The managers
// are child subreapers, so a daemon that detached from the process it
// was started by is our child: it is watched on a pidfd and reaped here
// (not by the orphan reaper), so its exit status is known. A process that
// is not our child is watched too, but ends with status 0.
func (l *Local) Adopt(pid int) (*Process, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("adopt pid %d: not a process", pid)
	}
	// Held shared, so the orphan reaper cannot take it between the pidfd
	// and the registration.
	l.reaper.gate.RLock()
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		l.reaper.gate.RUnlock()
		return nil, fmt.Errorf("adopt pid %d: %w", pid, err)
	}
	l.reaper.mu.Lock()
	l.reaper.tracked[pid] = true
	l.reaper.mu.Unlock()
	l.reaper.gate.RUnlock()
	c := &child{pid: pid, pidfd: os.NewFile(uintptr(fd), "pidfd")}
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	p := New(pid, strings.TrimSpace(string(comm)), c.signal)
	go func() {
		ws, err := c.wait(nil)
		l.reaper.forget(pid)
		if err != nil {
			ws = 0
		}
		p.Exit(ws)
	}()
	return p, nil
}
