package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Process is a member of a cgroup tree.
type Process struct {
	PID int
	// Cgroup is where the process is, relative to the tree's top; empty
	// for the top itself.
	Cgroup string
}

// Procs lists the processes in cgroup cg and all its descendants, however
// deep they are nested. On an error it returns what it found so far with
// the error: the list is then incomplete, and the tree may hold more.
func (h Hierarchy) Procs(cg string) ([]Process, error) {
	procs, err := h.procs(cg, true)
	if err != nil {
		return procs, fmt.Errorf("list processes of cgroup %s: %w", cg, err)
	}
	return procs, nil
}

// PIDs lists the processes in cgroup cg and, if recursive is set, in all
// of its descendants.
func (h Hierarchy) PIDs(cg string, recursive bool) ([]int, error) {
	procs, err := h.procs(cg, recursive)
	if err != nil {
		return nil, fmt.Errorf("list pids of cgroup %s: %w", cg, err)
	}
	pids := make([]int, len(procs))
	for i, p := range procs {
		pids[i] = p.PID
	}
	return pids, nil
}

func (h Hierarchy) procs(cg string, recursive bool) ([]Process, error) {
	dir := h.Path(cg)
	fd, err := openDirAt(unix.AT_FDCWD, dir)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	if !recursive {
		pids, err := readPIDsAt(fd, dir)
		procs := make([]Process, len(pids))
		for i, pid := range pids {
			procs[i] = Process{PID: pid}
		}
		return procs, err
	}
	return procsAt(fd, dir)
}

// procsAt lists the processes of the tree open at fd.
func procsAt(fd int, label string) ([]Process, error) {
	var procs []Process
	// A process is in exactly one cgroup, except that threaded cgroups
	// list every process with a thread in them; dedupe for that case.
	seen := map[int]bool{}
	err := walkTree(fd, label, walkFuncs{pre: func(fd int, path []string) error {
		pids, err := readPIDsAt(fd, label)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed while walking
		}
		if err != nil {
			return err
		}
		rel := strings.Join(path, "/")
		for _, pid := range pids {
			if !seen[pid] {
				seen[pid] = true
				procs = append(procs, Process{PID: pid, Cgroup: rel})
			}
		}
		return nil
	}})
	return procs, err
}

func readPIDsAt(fd int, label string) ([]int, error) {
	data, err := readFileAt(fd, "cgroup.procs")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("parse cgroup.procs below %s: %w", label, err)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// Find returns the sub-cgroups of cg (paths relative to the hierarchy's
// root) whose names match, without looking below them.
func (h Hierarchy) Find(cg string, match func(name string) bool) ([]string, error) {
	dir := h.Path(cg)
	fd, err := openDirAt(unix.AT_FDCWD, dir)
	if err != nil {
		return nil, fmt.Errorf("look for cgroups below %s: %w", cg, &fs.PathError{Op: "open", Path: dir, Err: err})
	}
	defer unix.Close(fd)
	var found []string
	err = walkTree(fd, dir, walkFuncs{pre: func(_ int, path []string) error {
		if len(path) > 0 && match(path[len(path)-1]) {
			found = append(found, filepath.Join(append([]string{cg}, path...)...))
			return errSkipSubtree
		}
		return nil
	}})
	if err != nil {
		return found, fmt.Errorf("look for cgroups below %s: %w", cg, err)
	}
	return found, nil
}

// RemoveTree removes cgroup cg and all its sub-cgroups, deepest first,
// however deep they are nested. A cgroup that does not exist is not an
// error. A cgroup that still has processes cannot be removed and yields
// an error wrapping ErrPopulated.
func (h Hierarchy) RemoveTree(cg string) error {
	if err := h.removeTree(cg); err != nil {
		return fmt.Errorf("remove cgroup %s: %w", cg, err)
	}
	return nil
}

func (h Hierarchy) removeTree(cg string) error {
	dir := h.Path(cg)
	if dir == filepath.Clean(h.Root) {
		return errors.New("refusing to remove the root cgroup")
	}
	parent, err := openDirAt(unix.AT_FDCWD, filepath.Dir(dir))
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: filepath.Dir(dir), Err: err}
	}
	defer unix.Close(parent)
	// A sub-cgroup removed and re-created by someone else while walking
	// makes the walk start over; only the tree's owner can do that, and
	// only while it still runs processes.
	for attempt := 0; ; attempt++ {
		err := removeTreeAt(parent, filepath.Base(dir), dir)
		if !errors.Is(err, errTreeChanged) || attempt == 3 {
			return err
		}
	}
}

// removeTreeAt removes the tree name below parent.
func removeTreeAt(parent int, name, label string) error {
	fd, err := openDirAt(parent, name)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: label, Err: err}
	}
	err = walkTree(fd, label, walkFuncs{post: func(parentFD int, name string) error {
		return rmdirAt(parentFD, name, label+"/…/"+shortName(name))
	}})
	unix.Close(fd)
	if err != nil {
		return err
	}
	return rmdirAt(parent, name, label)
}

// rmdirAt removes the empty cgroup name below dirfd; label names it in
// errors.
func rmdirAt(dirfd int, name, label string) error {
	err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
	switch {
	case err == nil, err == unix.ENOENT:
		return nil
	case err == unix.EBUSY:
		if data, rerr := readFileAt(dirfd, name+"/cgroup.events"); rerr == nil {
			if pop, perr := parsePopulated(data); perr == nil && pop {
				return fmt.Errorf("%s: %w", label, ErrPopulated)
			}
		}
	}
	return &fs.PathError{Op: "rmdir", Path: label, Err: err}
}

// shortName cuts a long cgroup name for a message.
func shortName(n string) string {
	if len(n) > 40 {
		return n[:20] + "…" + n[len(n)-10:]
	}
	return n
}
