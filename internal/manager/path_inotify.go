package manager

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// inotify is one inotify instance, read through Go's poller: a path unit
// waiting for events holds no thread.
type inotify struct {
	f   *os.File
	fd  int
	mu  sync.Mutex
	wds map[int32]bool // the watches in place
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
	return &inotify{f: os.NewFile(uintptr(fd), "inotify"), fd: fd, wds: map[int32]bool{}}, nil
}

// add watches the file fd refers to (an O_PATH descriptor, so the watch is
// on what was resolved, not on a path that may since point elsewhere).
func (n *inotify) add(fd int, mask uint32) (int32, error) {
	wd, err := unix.InotifyAddWatch(n.fd, "/proc/self/fd/"+strconv.Itoa(fd), mask)
	if err != nil {
		return -1, err
	}
	n.mu.Lock()
	n.wds[int32(wd)] = true
	n.mu.Unlock()
	return int32(wd), nil
}

func (n *inotify) unwatchAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for wd := range n.wds {
		unix.InotifyRmWatch(n.fd, uint32(wd))
	}
	clear(n.wds)
}

func (n *inotify) close() { n.f.Close() }

// read waits for events and returns them, IN_IGNORED ones left out.
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
			if mask&unix.IN_IGNORED != 0 {
				continue
			}
			evs = append(evs, inotifyEvent{wd: wd, mask: mask})
		}
		if len(evs) > 0 {
			return evs, nil
		}
	}
}
