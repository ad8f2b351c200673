package cgroup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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

// Writable reports an error unless processes can be placed into cgroup
// cg: a cgroup2 mounted read-only, or not ours to write, cannot track a
// unit's processes.
func (h Hierarchy) Writable(cg string) error {
	p := filepath.Join(h.Path(cg), "cgroup.procs")
	if err := unix.Faccessat(unix.AT_FDCWD, p, unix.W_OK, unix.AT_EACCESS); err != nil {
		return fmt.Errorf("cgroup %s not writable: %w", cg, &fs.PathError{Op: "access", Path: p, Err: err})
	}
	return nil
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
	// Read with raw calls: every stop reads it a few times per unit, and
	// os.ReadFile spends five system calls (and a poller registration
	// attempt) where three do.
	path := filepath.Join(dir, "cgroup.events")
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var buf [256]byte // "populated 0\nfrozen 0\n"
	n, err := unix.Read(fd, buf[:])
	if err != nil {
		return false, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	return parsePopulated(buf[:max(n, 0)])
}

// parsePopulated reads the populated key of cgroup.events, which the
// kernel keeps for the whole subtree: no walk is needed to know whether
// anything runs below a cgroup.
func parsePopulated(data []byte) (bool, error) {
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
	fd, err := openDirAt(unix.AT_FDCWD, dir)
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	const rounds = 100
	for i := 0; i < rounds; i++ {
		procs, err := procsAt(fd, dir)
		// Whatever the walk found is killed even when it failed; the
		// cgroup counts as empty only once cgroup.events says so.
		serr := signalAll(procs, unix.SIGKILL)
		if pop, perr := populated(dir); perr == nil && !pop {
			return nil
		}
		if err != nil {
			return err
		}
		if err := serr; err != nil {
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
	// Processes found before a failing walk still get the signal.
	procs, err := h.procs(cg, recursive)
	if serr := signalAll(procs, sig); err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("signal %v to cgroup %s: %w", sig, cg, err)
	}
	return nil
}

// SignalExcept is Signal leaving out the processes skip (ones the caller
// signaled already, through their pidfds).
func (h Hierarchy) SignalExcept(cg string, sig syscall.Signal, recursive bool, skip ...int) error {
	procs, err := h.procs(cg, recursive)
	procs = slices.DeleteFunc(procs, func(p Process) bool { return slices.Contains(skip, p.PID) })
	if serr := signalAll(procs, sig); err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("signal %v to cgroup %s: %w", sig, cg, err)
	}
	return nil
}

func signalAll(procs []Process, sig syscall.Signal) error {
	var errs []error
	for _, p := range procs {
		if p.PID <= 0 {
			continue // never a process group or every process
		}
		if err := unix.Kill(p.PID, sig); err != nil && err != unix.ESRCH {
			errs = append(errs, fmt.Errorf("pid %d: %w", p.PID, err))
		}
	}
	return errors.Join(errs...)
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
