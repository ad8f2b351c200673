package manager

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// timerStampPath is where a Persistent= timer's last trigger is kept:
// where systemd keeps it, below the manager's home for a user manager.
func (m *Manager) timerStampPath(u *Unit) string {
	dir := "/var/lib/systemd/timers"
	if m.cfg.Mode == User {
		dir = filepath.Join(m.cfg.Home, ".local/share/systemd/timers")
	}
	return filepath.Join(dir, "stamp-"+u.name)
}

// loadTimerStamp returns the last trigger kept on disk, creating the
// stamp file for a timer that has never run, as systemd does. Anything
// but a regular file there is no stamp.
func (m *Manager) loadTimerStamp(u *Unit) time.Time {
	p := m.timerStampPath(u)
	fd, err := openStamp(p)
	if errors.Is(err, unix.ENOENT) {
		m.touchTimerStamp(u, time.Time{})
		return time.Time{}
	}
	if err != nil {
		m.logf(u, "%s: Failed to read the last trigger from %s, ignoring: %v", u.name, p, err)
		return time.Time{}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return time.Time{}
	}
	if t := time.Unix(st.Mtim.Unix()); t.Before(time.Now()) {
		return t
	}
	return time.Time{}
}

// openStamp opens an existing stamp file without opening the file
// itself (O_PATH: a FIFO or device there cannot block the manager) and
// without following a symlink, and checks that it is a regular file.
func openStamp(p string) (int, error) {
	fd, err := unix.Open(p, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("stat %s: %w", p, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return -1, fmt.Errorf("%s: not a regular file", p)
	}
	return fd, nil
}

// touchTimerStamp records t (now if zero) as the stamp file's time,
// creating the file if missing. It never blocks: an existing file is
// only reached through O_PATH, a new one is created exclusively.
func (m *Manager) touchTimerStamp(u *Unit, t time.Time) {
	p := m.timerStampPath(u)
	if err := touchStamp(p, t); err != nil {
		m.logf(u, "%s: cannot keep the last trigger: %v", u.name, err)
	}
}

func touchStamp(p string, t time.Time) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	fd, err := openStamp(p)
	if errors.Is(err, unix.ENOENT) {
		fd, err = unix.Open(p, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return fmt.Errorf("create %s: %w", p, err)
		}
	} else if err != nil {
		return fmt.Errorf("open %s: %w", p, err)
	}
	defer unix.Close(fd)
	ts := []unix.Timespec{{Nsec: unix.UTIME_NOW}, {Nsec: unix.UTIME_NOW}}
	if !t.IsZero() {
		ts[0] = unix.NsecToTimespec(t.UnixNano())
		ts[1] = ts[0]
	}
	// The O_PATH descriptor's /proc link reaches the very file checked.
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), ts, 0); err != nil {
		return fmt.Errorf("set the time of %s: %w", p, err)
	}
	return nil
}

// timerCleanable reports whether u is a timer with a stamp to clean
// (CanClean=state, as systemd shows it for Persistent= timers only).
func timerCleanable(u *Unit) bool {
	return u.conf != nil && u.conf.Timer != nil && u.conf.Timer.Persistent
}

// cleanTimerStamp removes a stopped Persistent= timer's stamp (clean
// --what=state); the last trigger stays known until the next start.
func (m *Manager) cleanTimerStamp(u *Unit, state bool) ([]string, error) {
	if !state {
		return nil, fmt.Errorf("%w: no matching resources found for %s", errNothing, u.name)
	}
	p := m.timerStampPath(u)
	if err := os.Remove(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("clean %s: %w", u.name, err)
	}
	m.logf(u, "%s: Removed %s.", u.name, p)
	return []string{p}, nil
}
