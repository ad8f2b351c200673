package manager

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Events each watch asks for, as systemd's path units do: the path itself
// by its condition, the deepest existing directory above it for what
// appears in it, the directories above that only for being moved.
const (
	inParent  = unix.IN_MOVE_SELF | unix.IN_DELETE_SELF | unix.IN_CREATE | unix.IN_MOVED_TO
	inExists  = unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ATTRIB
	inChanged = inExists | unix.IN_CLOSE_WRITE | unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO
)

func specMask(typ string) uint32 {
	switch typ {
	case "PathChanged":
		return inChanged
	case "PathModified":
		return inChanged | unix.IN_MODIFY
	case "DirectoryNotEmpty":
		return inExists | unix.IN_CREATE | unix.IN_MOVED_TO
	}
	return inExists
}

// checkGood tells whether a condition holds now (systemd's
// path_check_good) and names the path that made it hold. PathChanged= and
// PathModified= hold when their path appeared or vanished since the last
// check, not at the start nor after the triggered unit ended. Callers
// hold w.mu.
func (w *pathWatch) checkGood(initial, fromTrigger bool) (string, bool) {
	roots := w.m.pathRoots()
	for i, s := range w.conf.Specs {
		switch s.Type {
		case "PathExists":
			if existsIn(roots, s.Path) {
				return s.Path, true
			}
		case "PathExistsGlob":
			if p, ok := globFirst(roots, s.Path); ok {
				return p, true
			}
		case "DirectoryNotEmpty":
			if dirNotEmpty(roots, s.Path) {
				return s.Path, true
			}
		case "PathChanged", "PathModified":
			b := existsIn(roots, s.Path)
			good := !initial && !fromTrigger && b != w.prevExists[i]
			w.prevExists[i] = b
			if good {
				return s.Path, true
			}
		}
	}
	return "", false
}

// watch puts the watches of every condition in place, anew. Watches of
// one file by several conditions are merged, as one inotify instance has
// one watch per file. Callers hold w.mu.
func (w *pathWatch) watch() error {
	w.m.paths.unwatch(w)
	roots := w.m.pathRoots()
	type want struct {
		fd    int
		mask  uint32
		specs []int // conditions whose own path this is
	}
	wants := map[[2]uint64]*want{}
	var order [][2]uint64
	defer func() {
		for _, wt := range wants {
			unix.Close(wt.fd)
		}
	}()
	addWant := func(fd int, mask uint32, spec int) {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return
		}
		k := [2]uint64{st.Dev, st.Ino}
		wt := wants[k]
		if wt == nil {
			wt = &want{fd: fd}
			wants[k] = wt
			order = append(order, k)
		} else {
			unix.Close(fd)
		}
		wt.mask |= mask
		if spec >= 0 {
			wt.specs = append(wt.specs, spec)
		}
	}
	for i, s := range w.conf.Specs {
		root, rel, _ := confine(roots, s.Path)
		// A glob watches the directory it is in.
		if s.Type == "PathExistsGlob" {
			dir := filepath.Dir(s.Path)
			for strings.ContainsAny(dir, "*?[") {
				dir = filepath.Dir(dir)
			}
			if r2, rel2, ok := confine(roots, dir); ok && r2 == root {
				rel = rel2
			}
		}
		var comps []string
		if rel != "" {
			comps = strings.Split(rel, "/")
		}
		// Walk down from the root: each existing directory is watched
		// for being moved, the deepest one for what appears in it, the
		// path itself by its condition.
		prefix := root
		fd, err := openIn(roots, root, unix.O_PATH)
		if err != nil {
			return fmt.Errorf("failed to add watch on any of the components of %s: %w", s.Path, err)
		}
		deepest := fd
		mask := uint32(inParent)
		spec := -1
		if len(comps) == 0 {
			mask, spec = specMask(s.Type), i
		}
		for j, c := range comps {
			prefix = filepath.Join(prefix, c)
			next, err := openIn(roots, prefix, unix.O_PATH)
			if err != nil {
				break
			}
			addWant(deepest, unix.IN_MOVE_SELF, -1)
			deepest = next
			if j == len(comps)-1 && s.Type != "PathExistsGlob" {
				mask, spec = specMask(s.Type), i
			}
		}
		addWant(deepest, mask, spec)
	}
	primary := map[int32][]int{}
	for _, k := range order {
		wt := wants[k]
		wd, err := w.m.paths.watch(w, wt.fd, wt.mask)
		if errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.ENOMEM) {
			// Out of inotify watches (max_user_watches counts per UID):
			// waiting without them would never trigger. systemd fails
			// the unit with Result=resources then.
			return fmt.Errorf("failed to add watch: %w", err)
		}
		if err != nil {
			continue // the file may have just gone: checked again
		}
		if len(wt.specs) > 0 {
			primary[wd] = wt.specs
		}
	}
	w.primary = primary
	return nil
}
