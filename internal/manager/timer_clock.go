package manager

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hostEvent is a change of the host that timers can wait for.
type hostEvent int

const (
	clockChanged    hostEvent = iota // CLOCK_REALTIME was set
	timezoneChanged                  // /etc/localtime changed
)

// watchHostEvents starts the watchers of clock and time zone changes:
// each waits in Go's poller (no thread, no wake-up until the event).
func (m *Manager) watchHostEvents() {
	if err := m.watchClock(); err != nil {
		m.logf(nil, "Warning: timers cannot see clock changes: %v", err)
	}
	if err := m.watchTimezone(); err != nil {
		m.logf(nil, "Warning: timers cannot see time zone changes: %v", err)
	}
}

// watchClock arms a CLOCK_REALTIME timerfd far in the future with
// TFD_TIMER_CANCEL_ON_SET: setting the clock makes its read fail with
// ECANCELED, as systemd's manager learns of clock changes.
func (m *Manager) watchClock() error {
	fd, err := unix.TimerfdCreate(unix.CLOCK_REALTIME, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("timerfd: %w", err)
	}
	arm := func() error {
		spec := unix.ItimerSpec{Value: unix.Timespec{Sec: 1 << 62}}
		return unix.TimerfdSettime(fd, unix.TFD_TIMER_ABSTIME|unix.TFD_TIMER_CANCEL_ON_SET, &spec, nil)
	}
	if err := arm(); err != nil {
		unix.Close(fd)
		return fmt.Errorf("timerfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "clock-change")
	go func() {
		defer f.Close()
		buf := make([]byte, 8)
		for {
			_, err := f.Read(buf)
			if err != nil && !errors.Is(err, unix.ECANCELED) {
				m.logf(nil, "Warning: timers stop watching clock changes: %v", err)
				return
			}
			if err := arm(); err != nil {
				m.logf(nil, "Warning: timers stop watching clock changes: %v", err)
				return
			}
			m.timersHostEvent(clockChanged)
		}
	}()
	return nil
}

// watchTimezone watches /etc for /etc/localtime being replaced or changed.
func (m *Manager) watchTimezone() error {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, "/etc", unix.IN_CREATE|unix.IN_MOVED_TO|unix.IN_DELETE|unix.IN_CLOSE_WRITE|unix.IN_ATTRIB|unix.IN_DONT_FOLLOW); err != nil {
		unix.Close(fd)
		return fmt.Errorf("inotify /etc: %w", err)
	}
	f := os.NewFile(uintptr(fd), "timezone-change")
	go func() {
		defer f.Close()
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			if err != nil {
				m.logf(nil, "Warning: timers stop watching time zone changes: %v", err)
				return
			}
			if inotifyNames(buf[:n], "localtime") {
				m.timersHostEvent(timezoneChanged)
			}
		}
	}()
	return nil
}

// inotifyNames reports whether one of the events in buf names name.
func inotifyNames(buf []byte, name string) bool {
	for len(buf) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(buf) {
			return false
		}
		if strings.TrimRight(string(buf[unix.SizeofInotifyEvent:end]), "\x00") == name {
			return true
		}
		buf = buf[end:]
	}
	return false
}

// timersHostEvent elapses the waiting timers that wait for ev
// (OnClockChange=, OnTimezoneChange=); the others recompute their
// calendar values.
func (m *Manager) timersHostEvent(ev hostEvent) {
	var zone *time.Location
	if ev == timezoneChanged {
		m.mu.Lock()
		file := m.timers.zoneFile
		m.mu.Unlock()
		z, err := readLocalZone(file)
		if err != nil {
			m.logf(nil, "Warning: timers keep the previous time zone: %v", err)
		}
		zone = z
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if zone != nil {
		m.timers.local = zone
	}
	for _, set := range m.timers.byTarget {
		for u := range set {
			tc := u.conf.Timer
			want := tc.OnClockChange
			if ev == timezoneChanged {
				want = tc.OnTimezoneChange
			}
			if u.active != stateActive || u.sub != subWaiting || u.timer == nil {
				continue
			}
			switch {
			case want:
				m.triggerTimerLocked(u)
			case len(tc.Calendar) > 0:
				// Calendar deadlines are waits on the monotonic clock:
				// recompute them for the new wall clock.
				m.timerWaitLocked(u)
			}
		}
	}
}

// readLocalZone reads the host's time zone anew (Go reads it once, at
// start): file, by default /etc/localtime; none there is UTC, as for the C
// library. A zone set by $TZ does not follow the file: nil, no change.
func readLocalZone(file string) (*time.Location, error) {
	if file == "" {
		if _, ok := os.LookupEnv("TZ"); ok {
			return nil, nil
		}
		file = "/etc/localtime"
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return time.UTC, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the time zone: %w", err)
	}
	loc, err := time.LoadLocationFromTZData("Local", data)
	if err != nil {
		return nil, fmt.Errorf("read the time zone from %s: %w", file, err)
	}
	return loc, nil
}
