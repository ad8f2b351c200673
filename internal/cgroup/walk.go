package cgroup

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// MaxOpenDirs bounds the directory descriptors one tree walk holds open
// at a time, besides the one of the walk's top. The owner of a delegated
// cgroup decides how deep its subtree goes, and RLIMIT_NOFILE cannot
// always be raised, so a walk must not need a descriptor per level.
const MaxOpenDirs = 16

// errTreeChanged reports that a directory reached again through ".." is
// not the one the walk came from. Cgroups cannot move to another parent,
// so this means the directory was removed and its name reused.
var errTreeChanged = errors.New("cgroup tree changed during the walk")

// errSkipSubtree, returned by a pre function, makes the walk leave out
// the sub-cgroups of the cgroup just entered.
var errSkipSubtree = errors.New("skip subtree")

// walkFuncs are called by walkTree. pre sees every cgroup, the top
// included, when it is entered; path holds the names from the top down
// (empty for the top); returning errSkipSubtree leaves its sub-cgroups
// out. post sees every cgroup but the top once all its
// descendants are done, with its parent open at parentFD. Either may be
// nil.
type walkFuncs struct {
	pre  func(fd int, path []string) error
	post func(parentFD int, name string) error
}

// frame is one level of the walk's current path.
type frame struct {
	fd       int // -1 while closed to stay within MaxOpenDirs
	name     string
	dev, ino uint64
	subdirs  []string // children not yet visited
}

// walkTree visits the cgroup tree below the directory open at top,
// depth-first, working only relative to directory descriptors: no path
// string grows with the depth, so neither PATH_MAX nor a recursion limit
// applies. At most MaxOpenDirs+2 descriptors are open at once: when the
// path is deeper, the descriptors of the shallowest levels are closed and
// re-opened through ".." on the way back up, after checking that ".."
// is still the directory that was left. top stays owned by the caller.
// Sub-cgroups removed while walking are skipped; mount points are not
// crossed.
func walkTree(top int, label string, fn walkFuncs) (err error) {
	var st unix.Stat_t
	if err := unix.Fstat(top, &st); err != nil {
		return &fs.PathError{Op: "fstat", Path: label, Err: err}
	}
	dev := st.Dev
	stack := []*frame{{fd: top, name: label, dev: st.Dev, ino: st.Ino}}
	open := 0 // descriptors this walk opened and still holds
	defer func() {
		for _, f := range stack[1:] {
			if f.fd >= 0 {
				unix.Close(f.fd)
			}
		}
	}()
	where := func() string {
		if len(stack) == 1 {
			return label
		}
		// Only for error messages; cut so an error stays readable.
		return label + "/" + shorten(stack[1:])
	}
	enter := func(f *frame) error {
		if fn.pre != nil {
			names := make([]string, 0, len(stack)-1)
			for _, s := range stack[1:] {
				names = append(names, s.name)
			}
			err := fn.pre(f.fd, names)
			if err == errSkipSubtree {
				return nil
			}
			if err != nil {
				return err
			}
		}
		subdirs, err := readSubdirs(f.fd)
		if err != nil {
			return &fs.PathError{Op: "readdir", Path: where(), Err: err}
		}
		f.subdirs = subdirs
		return nil
	}
	if err := enter(stack[0]); err != nil {
		return err
	}
	for {
		cur := stack[len(stack)-1]
		if len(cur.subdirs) > 0 {
			name := cur.subdirs[0]
			cur.subdirs = cur.subdirs[1:]
			fd, err := openDirAt(cur.fd, name)
			if err == unix.ENOENT {
				continue
			}
			if err != nil {
				return &fs.PathError{Op: "open", Path: where() + "/" + name, Err: err}
			}
			if err := unix.Fstat(fd, &st); err != nil {
				unix.Close(fd)
				return &fs.PathError{Op: "fstat", Path: where() + "/" + name, Err: err}
			}
			if st.Dev != dev {
				unix.Close(fd)
				continue
			}
			stack = append(stack, &frame{fd: fd, name: name, dev: st.Dev, ino: st.Ino})
			open++
			if open > MaxOpenDirs {
				// Close the shallowest descriptor still open; the top
				// belongs to the caller and stays.
				for _, f := range stack[1:] {
					if f.fd >= 0 {
						unix.Close(f.fd)
						f.fd = -1
						open--
						break
					}
				}
			}
			if err := enter(stack[len(stack)-1]); err != nil {
				return err
			}
			continue
		}
		if len(stack) == 1 {
			return nil
		}
		parent := stack[len(stack)-2]
		if parent.fd < 0 {
			fd, err := openDirAt(cur.fd, "..")
			if err != nil {
				return &fs.PathError{Op: "open", Path: where() + "/..", Err: err}
			}
			if err := unix.Fstat(fd, &st); err != nil || st.Dev != parent.dev || st.Ino != parent.ino {
				unix.Close(fd)
				return fmt.Errorf("%s: %w", where(), errTreeChanged)
			}
			parent.fd = fd
			open++
		}
		unix.Close(cur.fd)
		open--
		stack = stack[:len(stack)-1]
		if fn.post != nil {
			if err := fn.post(parent.fd, cur.name); err != nil {
				return err
			}
		}
	}
}

// shorten renders a walk path for a message: deep paths are cut in the
// middle, long names shortened.
func shorten(frames []*frame) string {
	var parts []string
	for i, f := range frames {
		if len(frames) > 6 && i == 3 {
			parts = append(parts, fmt.Sprintf("…(%d levels)…", len(frames)-6))
		}
		if len(frames) > 6 && i >= 3 && i < len(frames)-3 {
			continue
		}
		n := f.name
		if len(n) > 40 {
			n = n[:20] + "…" + n[len(n)-10:]
		}
		parts = append(parts, n)
	}
	return strings.Join(parts, "/")
}

// openDirAt opens the directory name below dirfd without following a
// symbolic link, retrying on EINTR.
func openDirAt(dirfd int, name string) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// readSubdirs lists the sub-directories (the sub-cgroups) of the
// directory open at fd. It reads through a duplicate, which shares the
// file offset, so the offset is reset first and fd stays the caller's.
func readSubdirs(fd int) ([]string, error) {
	dup, err := unix.Dup(fd)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), "cgroup")
	defer f.Close()
	if _, err := unix.Seek(dup, 0, 0); err != nil {
		return nil, err
	}
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		// Interface files are never directories; cgroupfs reports the
		// type, so no stat is needed.
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs, nil
}

// readFileAt reads the small interface file name below dirfd.
func readFileAt(dirfd int, name string) ([]byte, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	return io.ReadAll(f)
}
