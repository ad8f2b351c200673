package cgroup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ErrPopulated reports that a cgroup still contains processes when it was
// expected to be empty.
var ErrPopulated = errors.New("cgroup still populated")

// Hierarchy is a mounted cgroup2 file system. Cgroup paths passed to its
// methods are relative to Root, in the form reported by Self and OfPID.
type Hierarchy struct {
	Root string
}

// Default returns the Hierarchy mounted in the caller's mount namespace.
func Default() (Hierarchy, error) {
	mp, err := Mountpoint()
	if err != nil {
		return Hierarchy{}, err
	}
	return Hierarchy{Root: mp}, nil
}

// Path returns the file system path of cgroup cg. The cgroup path is
// cleaned as an absolute path first so that ".." cannot leave Root.
func (h Hierarchy) Path(cg string) string {
	return filepath.Join(h.Root, filepath.Clean("/"+cg))
}

// Create creates cgroup cg and any missing ancestors.
func (h Hierarchy) Create(cg string) error {
	if err := os.MkdirAll(h.Path(cg), 0o755); err != nil {
		return fmt.Errorf("create cgroup %s: %w", cg, err)
	}
	return nil
}

// OpenDir opens the directory of cgroup cg. The descriptor is suitable for
// syscall.SysProcAttr.CgroupFD, which starts a child directly inside the
// cgroup and so leaves no window in which it runs elsewhere.
func (h Hierarchy) OpenDir(cg string) (*os.File, error) {
	p := h.Path(cg)
	var fd int
	var err error
	for {
		fd, err = unix.Open(p, unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_RDONLY, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open cgroup %s: %w", cg, &fs.PathError{Op: "open", Path: p, Err: err})
	}
	return os.NewFile(uintptr(fd), p), nil
}

// AddPID moves process pid (with all its threads) into cgroup cg.
func (h Hierarchy) AddPID(cg string, pid int) error {
	if err := writeFile(filepath.Join(h.Path(cg), "cgroup.procs"), strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("add pid %d to cgroup %s: %w", pid, cg, err)
	}
	return nil
}

// Delegate hands cgroup cg to uid/gid so that they may create sub-cgroups
// and move their own processes between them. Files an older kernel does
// not provide are skipped.
func (h Hierarchy) Delegate(cg string, uid, gid int) error {
	dir := h.Path(cg)
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("delegate cgroup %s: %w", cg, err)
	}
	for _, name := range []string{"cgroup.procs", "cgroup.subtree_control", "cgroup.threads"} {
		err := os.Chown(filepath.Join(dir, name), uid, gid)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delegate cgroup %s: %w", cg, err)
		}
	}
	return nil
}

// PIDs lists the processes in cgroup cg and, if recursive is set, in all
// of its descendants.
func (h Hierarchy) PIDs(cg string, recursive bool) ([]int, error) {
	pids, err := collectPIDs(h.Path(cg), recursive)
	if err != nil {
		return nil, fmt.Errorf("list pids of cgroup %s: %w", cg, err)
	}
	return pids, nil
}

func collectPIDs(dir string, recursive bool) ([]int, error) {
	pids, err := readPIDs(dir)
	if err != nil || !recursive {
		return pids, err
	}
	// A process is in exactly one cgroup, except that threaded cgroups
	// list every process with a thread in them; dedupe for that case.
	seen := make(map[int]bool, len(pids))
	for _, p := range pids {
		seen[p] = true
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			// Sub-cgroups may vanish while walking; that is not an error.
			if p != dir && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() || p == dir {
			return nil
		}
		sub, err := readPIDs(p)
		if errors.Is(err, fs.ErrNotExist) {
			return fs.SkipDir
		}
		if err != nil {
			return err
		}
		for _, pid := range sub {
			if !seen[pid] {
				seen[pid] = true
				pids = append(pids, pid)
			}
		}
		return nil
	})
	return pids, err
}

func readPIDs(dir string) ([]int, error) {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("parse %s/cgroup.procs: %w", dir, err)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// Populated reports whether cgroup cg or any descendant contains a
// process. The root cgroup has no cgroup.events and yields an error.
func (h Hierarchy) Populated(cg string) (bool, error) {
	pop, err := populated(h.Path(cg))
	if err != nil {
		return false, fmt.Errorf("populated state of cgroup %s: %w", cg, err)
	}
	return pop, nil
}

func populated(dir string) (bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.events"))
	if err != nil {
		return false, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "populated "); ok {
			switch v {
			case "0":
				return false, nil
			case "1":
				return true, nil
			}
			return false, fmt.Errorf("unexpected populated value %q", v)
		}
	}
	return false, errors.New("no populated key in cgroup.events")
}

// Kill sends SIGKILL to every process in cgroup cg and its descendants.
// With cgroup.kill (Linux 5.14+) the kernel does this atomically, also
// catching processes forked concurrently, and Kill returns without
// waiting; use WaitEmpty for that. On older kernels every process is
// signalled individually until the cgroup is empty or a bounded number of
// rounds has passed.
func (h Hierarchy) Kill(cg string) error {
	dir := h.Path(cg)
	err := writeFile(filepath.Join(dir, "cgroup.kill"), "1")
	if err == nil {
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("kill cgroup %s: %w", cg, err)
	}
	if _, serr := os.Stat(dir); serr != nil {
		return fmt.Errorf("kill cgroup %s: %w", cg, serr)
	}
	// The root cgroup never has cgroup.kill; signalling everything in it
	// would take down the whole system, this process included.
	if dir == filepath.Clean(h.Root) {
		return fmt.Errorf("kill cgroup %s: refusing to kill the root cgroup", cg)
	}
	if err := killEach(dir); err != nil {
		return fmt.Errorf("kill cgroup %s: %w", cg, err)
	}
	return nil
}

// killEach is the fallback for kernels without cgroup.kill.
func killEach(dir string) error {
	// Freezing (Linux 5.2+) stops members from forking between listing
	// and signalling; SIGKILL still terminates frozen tasks in cgroup v2.
	// It is best effort, and undone so that later members are not born
	// frozen.
	if writeFile(filepath.Join(dir, "cgroup.freeze"), "1") == nil {
		defer writeFile(filepath.Join(dir, "cgroup.freeze"), "0")
	}
	const rounds = 100
	for i := 0; i < rounds; i++ {
		pids, err := collectPIDs(dir, true)
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		if err := signalAll(pids, unix.SIGKILL); err != nil {
			return err
		}
		// Give the killed processes a moment to exit before looking again.
		time.Sleep(time.Duration(i+1) * time.Millisecond)
	}
	return fmt.Errorf("%w after %d rounds of SIGKILL", ErrPopulated, rounds)
}

// Signal sends sig to every process in cgroup cg and, if recursive is
// set, in its descendants. Processes that exit meanwhile are ignored.
func (h Hierarchy) Signal(cg string, sig syscall.Signal, recursive bool) error {
	pids, err := collectPIDs(h.Path(cg), recursive)
	if err == nil {
		err = signalAll(pids, sig)
	}
	if err != nil {
		return fmt.Errorf("signal %v to cgroup %s: %w", sig, cg, err)
	}
	return nil
}

func signalAll(pids []int, sig syscall.Signal) error {
	var errs []error
	for _, pid := range pids {
		if err := unix.Kill(pid, sig); err != nil && err != unix.ESRCH {
			errs = append(errs, fmt.Errorf("pid %d: %w", pid, err))
		}
	}
	return errors.Join(errs...)
}

// RemoveTree removes cgroup cg and all its sub-cgroups, deepest first.
// A cgroup that does not exist is not an error. A cgroup that still has
// processes cannot be removed and yields an error wrapping ErrPopulated.
func (h Hierarchy) RemoveTree(cg string) error {
	if err := removeTree(h.Path(cg)); err != nil {
		return fmt.Errorf("remove cgroup %s: %w", cg, err)
	}
	return nil
}

func removeTree(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	err = removeChildren(fd, dir, 0)
	unix.Close(fd)
	if err != nil {
		return err
	}
	return rmdir(unix.AT_FDCWD, dir, dir)
}

// maxDepth bounds the recursion; cgroup trees are limited far below it
// unless someone nests on purpose to get in the way.
const maxDepth = 256

// removeChildren removes the sub-cgroups of the directory open at fd,
// working relative to directory descriptors: a delegated subtree may be
// nested deeper than a path may be long.
func removeChildren(fd int, name string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%s: cgroups nested deeper than %d levels", name, maxDepth)
	}
	// Read through a duplicate: an *os.File closes its descriptor (at the
	// latest when collected), and fd belongs to the caller.
	dup, err := unix.Dup(fd)
	if err != nil {
		return &fs.PathError{Op: "dup", Path: name, Err: err}
	}
	f := os.NewFile(uintptr(dup), name)
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	for _, e := range entries {
		// Only directories are removed: the interface files vanish with
		// their cgroup and cannot be unlinked.
		if !e.IsDir() {
			continue
		}
		child, err := unix.Openat(fd, e.Name(), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "open", Path: name + "/" + e.Name(), Err: err}
		}
		err = removeChildren(child, name+"/"+e.Name(), depth+1)
		unix.Close(child)
		if err != nil {
			return err
		}
		if err := rmdir(fd, e.Name(), name+"/"+e.Name()); err != nil {
			return err
		}
	}
	return nil
}

// rmdir removes the empty cgroup dirfd/name; label names it in errors.
func rmdir(dirfd int, name, label string) error {
	err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
	switch {
	case err == nil, err == unix.ENOENT:
		return nil
	case err == unix.EBUSY:
		if len(label) < 4000 {
			if pop, perr := populated(label); perr == nil && pop {
				return fmt.Errorf("%s: %w", label, ErrPopulated)
			}
		}
	}
	return &fs.PathError{Op: "rmdir", Path: label, Err: err}
}

// writeFile writes s to an existing cgroup interface file in a single
// write, which is how the kernel expects each value to arrive.
func writeFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(s)
	cerr := f.Close()
	if werr != nil {
		return werr
	}
	return cerr
}
