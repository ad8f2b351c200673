package cgroup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// WaitEmpty blocks until cgroup cg and all its descendants contain no
// processes, or ctx is done. A cgroup that does not exist (or is removed
// while waiting) counts as empty, since a populated cgroup cannot be
// removed. The root cgroup has no cgroup.events and yields an error.
func (h Hierarchy) WaitEmpty(ctx context.Context, cg string) error {
	if err := waitEmpty(ctx, h.Path(cg)); err != nil {
		return fmt.Errorf("wait for cgroup %s to empty: %w", cg, err)
	}
	return nil
}

func waitEmpty(ctx context.Context, dir string) error {
	// Most callers find it empty already (a unit's processes heeded its
	// stop signal): they need no watch.
	if pop, err := populated(dir); err == nil && !pop {
		return nil
	}
	events := filepath.Join(dir, "cgroup.events")

	// The kernel reports changes of cgroup.events as IN_MODIFY. A
	// non-blocking descriptor lets the runtime poller park the read and
	// lets ctx cut it short through a read deadline.
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("inotify_init1: %w", err)
	}
	in := os.NewFile(uintptr(fd), "inotify")
	defer in.Close()

	if _, err := unix.InotifyAddWatch(fd, events, unix.IN_MODIFY); err != nil {
		// A missing cgroup is empty; a present one without cgroup.events
		// is the root cgroup, whose population cannot be watched.
		if _, serr := os.Stat(dir); err == unix.ENOENT && errors.Is(serr, fs.ErrNotExist) {
			return nil
		}
		return &fs.PathError{Op: "inotify_add_watch", Path: events, Err: err}
	}
	if err := in.SetReadDeadline(time.Time{}); err != nil {
		return fmt.Errorf("inotify descriptor not pollable: %w", err)
	}
	stop := context.AfterFunc(ctx, func() {
		// A deadline in the past wakes a pending Read immediately.
		in.SetReadDeadline(time.Unix(1, 0))
	})
	defer stop()

	buf := make([]byte, 4096)
	for {
		// Checked only after the watch is armed, so a transition to
		// empty between the check and the read cannot be missed.
		pop, err := populated(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !pop {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// The events themselves carry nothing beyond "something changed";
		// draining them and re-reading the file is enough.
		if _, err := in.Read(buf); err != nil {
			if cerr := ctx.Err(); cerr != nil && errors.Is(err, os.ErrDeadlineExceeded) {
				return cerr
			}
			return fmt.Errorf("read inotify: %w", err)
		}
	}
}
