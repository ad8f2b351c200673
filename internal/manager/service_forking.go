package manager

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/capsuled/capsuled/internal/logstore"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/process"
)

// pidFileMax bounds what is read of a PID file: a PID and a newline.
const pidFileMax = 64

// startForking runs a Type=forking service's ExecStart= as its control
// process and, once that has exited successfully, takes the daemon it
// left as the main process: the PID in PIDFile=, or, with GuessMainPID=,
// the only process left in the unit's cgroup. The unit then runs until
// that process ends (with neither, until it is stopped).
func (m *Manager) startForking(ctx context.Context, u *Unit, rs *runState) error {
	svc := u.svc
	deadline := time.Time{}
	if svc.TimeoutStart > 0 {
		deadline = time.Now().Add(svc.TimeoutStart)
	}
	p, err := m.spawn(u, rs, svc.ExecStart[0], true)
	if err != nil {
		m.logTaskError(u, err)
		m.finish(u, rs, resultResources)
		return fmt.Errorf("start %s: %w", u.name, err)
	}
	if err := m.waitExit(ctx, p, time.Until(deadline)); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("start %s: canceled by a stop request", u.name)
		}
		m.logAt(u, logstore.PriorityWarning, "%s: start operation timed out. Terminating.", u.name)
		m.killAll(u, rs)
		m.finish(u, rs, resultTimeout)
		return fmt.Errorf("start %s: %w", u.name, err)
	}
	if ws := p.Status(); !ws.Exited() || ws.ExitStatus() != 0 {
		code, status, res := "exited", ws.ExitStatus(), resultExitCode
		if ws.Signaled() {
			code, status, res = "killed", int(ws.Signal()), resultSignal
			if ws.CoreDump() {
				code, res = "dumped", resultCoreDump
			}
		}
		m.logAt(u, exitLevel(code), "%s: Control process exited, code=%s, status=%s", u.name, code, exitStatusText(code, status))
		m.finish(u, rs, res)
		return fmt.Errorf("start %s: %s", u.name, m.describeExit(p))
	}
	pid, err := m.forkingMainPID(ctx, u, rs, deadline)
	if err != nil {
		res := resultProtocol
		if errors.Is(err, context.DeadlineExceeded) {
			res = resultTimeout
		}
		m.logf(u, "%s: %v", u.name, err)
		m.killAll(u, rs)
		m.finish(u, rs, res)
		return fmt.Errorf("start %s: %w", u.name, err)
	}
	if pid > 0 {
		a, ok := m.cfg.Spawner.(process.Adopter)
		var main *process.Process
		if ok {
			main, err = a.Adopt(pid)
		} else {
			err = errors.New("this manager cannot take over processes")
		}
		if err != nil {
			m.logf(u, "%s: main process %d: %v", u.name, pid, err)
			m.killAll(u, rs)
			m.finish(u, rs, resultProtocol)
			return fmt.Errorf("start %s: main process %d: %w", u.name, pid, err)
		}
		m.mu.Lock()
		rs.main = main
		u.stamps.mainStarted()
		m.mu.Unlock()
		main.AfterExit(func() { m.watchMain(u, rs, main) })
	}
	return m.enterRunning(u, rs, false)
}

// forkingMainPID finds the main PID of a forking service whose control
// process has exited: from PIDFile= (waiting for it to appear, as the
// daemon may write it a moment later, until the start times out or the
// cgroup is empty), or guessed; 0 if there is none to be had.
func (m *Manager) forkingMainPID(ctx context.Context, u *Unit, rs *runState, deadline time.Time) (int, error) {
	svc := u.svc
	if svc.PIDFile == "" {
		if !svc.GuessMainPID {
			return 0, nil
		}
		pids, err := m.cfg.Cgroups.PIDs(rs.cgroup, true)
		if err != nil || len(pids) != 1 {
			// systemd, likewise, leaves the main PID unknown.
			return 0, nil
		}
		return pids[0], nil
	}
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		pid, err := readPIDFile(svc.PIDFile)
		if err == nil {
			if err := m.ownsPID(rs, pid); err != nil {
				return 0, err
			}
			return pid, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("PID file %s not readable: %w", svc.PIDFile, err)
		}
		if pop, perr := m.cfg.Cgroups.Populated(rs.cgroup); perr == nil && !pop {
			//lint:ignore ST1005 systemd's log line, which the unit's log shows as it is
			return 0, fmt.Errorf("PID file %s not readable (yet?) after start, and no process is left.", svc.PIDFile)
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return 0, fmt.Errorf("PID file %s not readable (yet?) after start: %w", svc.PIDFile, context.DeadlineExceeded)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(delay):
		}
	}
}

// ownsPID checks that pid runs in the unit's cgroup: a PID file in a
// directory the unit's user can write says whatever that user wants, and
// a process outside the unit must not become its main process (which a
// stop would signal). systemd takes a PID from elsewhere if the file is
// root's; capsuled never does.
func (m *Manager) ownsPID(rs *runState, pid int) error {
	pids, err := m.cfg.Cgroups.PIDs(rs.cgroup, true)
	if err != nil {
		return fmt.Errorf("check main PID %d: %w", pid, err)
	}
	if !slices.Contains(pids, pid) {
		//lint:ignore ST1005 systemd's log line, which the unit's log shows as it is
		return fmt.Errorf("New main PID %d does not belong to service, refusing.", pid)
	}
	return nil
}

// readPIDFile reads the PID in path, where a hostile unit may have put a
// symbolic link, a FIFO or a huge file: no link in the path is followed,
// only a regular file is opened (without blocking) and at most
// pidFileMax bytes are read.
func readPIDFile(path string) (int, error) {
	fd, err := openNoLinks(path, unix.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return 0, os.ErrNotExist
		}
		return 0, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !st.Mode().IsRegular() {
		return 0, fmt.Errorf("%s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, pidFileMax+1))
	if err != nil {
		return 0, err
	}
	if len(b) > pidFileMax {
		return 0, fmt.Errorf("%s: longer than a PID", path)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		// Created, not written yet: the daemon may be about to.
		return 0, os.ErrNotExist
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	pid, err := strconv.Atoi(string(bytes.TrimSpace(line)))
	if err != nil || pid <= 1 {
		return 0, fmt.Errorf("%s: no valid PID in it", path)
	}
	return pid, nil
}

// openNoLinks opens the absolute path one component at a time, following
// no symbolic link anywhere in it (openat2's RESOLVE_NO_SYMLINKS, which a
// capsule's system call filter refuses).
func openNoLinks(path string, flags int) (int, error) {
	if !filepath.IsAbs(path) {
		return -1, unix.EINVAL
	}
	parts := strings.Split(strings.Trim(filepath.Clean(path), "/"), "/")
	dir, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	for _, p := range parts[:len(parts)-1] {
		next, err := unix.Openat(dir, p, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(dir)
		if err != nil {
			return -1, err
		}
		dir = next
	}
	defer unix.Close(dir)
	return unix.Openat(dir, parts[len(parts)-1], flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
}
