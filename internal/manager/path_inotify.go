package manager

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// inotify is the manager's inotify instance, shared by its path units
// (an instance per unit would soon meet the kernel's limit of 128 per
// user) and read through Go's poller: waiting for events holds no thread.
type inotify struct {
	f  *os.File
	fd int
}

type inotifyEvent struct {
	wd   int32
	mask uint32
}

func newInotify() (*inotify, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	// A non-blocking descriptor is taken by the poller.
	return &inotify{f: os.NewFile(uintptr(fd), "inotify"), fd: fd}, nil
}

// add watches the file fd refers to (an O_PATH descriptor, so the watch is
// on what was resolved, not on a path that may since point elsewhere),
// for mask on top of what others watch it for.
func (n *inotify) add(fd int, mask uint32) (int32, error) {
	wd, err := unix.InotifyAddWatch(n.fd, "/proc/self/fd/"+strconv.Itoa(fd), mask|unix.IN_MASK_ADD)
	return int32(wd), err
}

func (n *inotify) remove(wd int32) { unix.InotifyRmWatch(n.fd, uint32(wd)) }

func (n *inotify) close() { n.f.Close() }

// read waits for events and returns them.
func (n *inotify) read() ([]inotifyEvent, error) {
	buf := make([]byte, 4096)
	for {
		l, err := n.f.Read(buf)
		if err != nil {
			return nil, err
		}
		var evs []inotifyEvent
		for off := 0; off+unix.SizeofInotifyEvent <= l; {
			wd := int32(binary.NativeEndian.Uint32(buf[off:]))
			mask := binary.NativeEndian.Uint32(buf[off+4:])
			nameLen := int(binary.NativeEndian.Uint32(buf[off+12:]))
			off += unix.SizeofInotifyEvent + nameLen
			evs = append(evs, inotifyEvent{wd: wd, mask: mask})
		}
		if len(evs) > 0 {
			return evs, nil
		}
	}
}
