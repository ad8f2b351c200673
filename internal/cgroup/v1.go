package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// V1 is one controller's cgroup v1 hierarchy on a hybrid host, where the
// unified hierarchy tracks processes but has no controllers: limits are
// set here instead. Membership in a v1 hierarchy is inherited at fork, so
// a process placed in a cgroup before it runs anything keeps all of its
// descendants there.
type V1 struct {
	Controller string // "memory", "pids"
	Root       string // mount point of the hierarchy
	Self       string // the calling process's cgroup in it
}

// FindV1 locates the v1 hierarchy of controller and the caller's cgroup in
// it, from /proc/self/mountinfo and /proc/self/cgroup. ok is false when the
// controller has no v1 hierarchy.
func FindV1(controller string) (v V1, ok bool, err error) {
	mi, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return V1{}, false, fmt.Errorf("find cgroup v1 %s hierarchy: %w", controller, err)
	}
	defer mi.Close()
	root, err := parseV1Mount(mi, controller)
	if err != nil || root == "" {
		return V1{}, false, err
	}
	pc, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return V1{}, false, fmt.Errorf("find own cgroup v1 %s: %w", controller, err)
	}
	defer pc.Close()
	self, err := parseV1Cgroup(pc, controller)
	if err != nil {
		return V1{}, false, fmt.Errorf("find own cgroup v1 %s: %w", controller, err)
	}
	return V1{Controller: controller, Root: root, Self: self}, true, nil
}

// parseV1Mount returns the mount point of the cgroup (v1) file system that
// carries controller, "" if none does.
func parseV1Mount(r io.Reader, controller string) (string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), " ")
		sep := slices.Index(fields, "-")
		if sep < 5 || sep+3 >= len(fields) || fields[sep+1] != "cgroup" {
			continue
		}
		if slices.Contains(strings.Split(fields[sep+3], ","), controller) {
			return unescapeOctal(fields[4]), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read mountinfo: %w", err)
	}
	return "", nil
}

// parseV1Cgroup returns the path of the "N:controllers:path" entry of
// /proc/PID/cgroup whose controller list holds controller.
func parseV1Cgroup(r io.Reader, controller string) (string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) == 3 && slices.Contains(strings.Split(parts[1], ","), controller) {
			return parts[2], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no %s entry", controller)
}

// Path returns the directory of cgroup cg, a path relative to Root.
func (v V1) Path(cg string) string {
	return filepath.Join(v.Root, filepath.Clean("/"+cg))
}

// Create makes cgroup cg (and missing parents).
func (v V1) Create(cg string) error {
	if err := os.MkdirAll(v.Path(cg), 0o755); err != nil {
		return fmt.Errorf("create %s cgroup %s: %w", v.Controller, cg, err)
	}
	return nil
}

// Set writes value to file (e.g. "memory.limit_in_bytes") of cgroup cg.
func (v V1) Set(cg, file, value string) error {
	if err := writeFile(filepath.Join(v.Path(cg), file), value); err != nil {
		return fmt.Errorf("set %s of %s cgroup %s to %s: %w", file, v.Controller, cg, value, err)
	}
	return nil
}

// Get reads file of cgroup cg as a number.
func (v V1) Get(cg, file string) (uint64, error) {
	b, err := os.ReadFile(filepath.Join(v.Path(cg), file))
	if err != nil {
		return 0, fmt.Errorf("read %s of %s cgroup %s: %w", file, v.Controller, cg, err)
	}
	return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
}

// Procs is the file a process writes its own PID to in order to join cg.
func (v V1) Procs(cg string) string { return filepath.Join(v.Path(cg), "cgroup.procs") }

// Remove removes cgroup cg and the cgroups below it, deepest first. Their
// processes must have ended; a task that is still being torn down makes
// rmdir fail with EBUSY for a moment, so that is retried briefly.
func (v V1) Remove(cg string) error {
	dir := v.Path(cg)
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove %s cgroup %s: %w", v.Controller, cg, err)
	}
	slices.Reverse(dirs)
	for _, d := range dirs {
		var err error
		for range 100 {
			if err = os.Remove(d); !errors.Is(err, syscall.EBUSY) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s cgroup %s: %w", v.Controller, cg, err)
		}
	}
	return nil
}

// ManagerBase is the cgroup, in v, of the units of a manager working in unified
// cgroup base: a child of the manager's own v1 cgroup named after the whole
// of base, escaped, so that managers in different unified cgroups never
// share one (two bases that end alike would with the last name only).
func (v V1) ManagerBase(base string) string {
	return filepath.Join(v.Self, url.PathEscape(filepath.Clean("/"+base)))
}
