package fstree

import (
	"errors"

	"golang.org/x/sys/unix"
)

// MaxOpenDirs bounds the descriptors one walk holds at a time, the
// caller's descriptor of the top's parent included. A tree's builder
// decides how deep it goes, and RLIMIT_NOFILE is shared with everything
// else the process does, so a walk must not need a descriptor per level.
const MaxOpenDirs = 16

// maxFrames is how many directories of the current path stay open; the
// rest of MaxOpenDirs is the caller's parent descriptor and the one
// briefly opened to climb back up through "..".
const maxFrames = MaxOpenDirs - 2

// errRescan, returned by visitor.leave, has the walk read the directory
// it just finished again from its start.
var errRescan = errors.New("rescan")

// visitor is what a walk does with a tree.
type visitor struct {
	// entry handles one entry of the directory open at dirfd and says
	// whether the walk descends into it (it is a directory).
	entry func(dirfd int, d dirent, depth int) (descend bool, err error)
	// leave is called once every entry of directory name (below the
	// directory open at parentFD) is done, the top included, while the
	// directory itself is still open. It may return errRescan.
	leave func(parentFD int, name string, depth int) error
	// denied is called when opening a sub-directory was refused (EACCES);
	// it may fix the permission and return nil to have it tried again.
	denied func(dirfd int, name string) error
}

// frame is one directory of the walk's current path.
type frame struct {
	fd       int // -1 while closed to stay within maxFrames
	name     string
	dev, ino uint64
	off      int64 // where reading resumes after the descriptor is re-opened
	seen     int   // entries seen in the current pass
}

// walk visits the tree name below parent, whose top the caller opened at
// top (walk closes it), depth-first, working only relative to directory
// descriptors: no path grows with the depth, so neither PATH_MAX nor a
// recursion limit applies. When the path is deeper than maxFrames, the
// descriptors of the shallowest levels are closed, and re-opened through
// ".." on the way back up after checking that ".." is still the
// directory that was left (errTreeChanged if not). label names the top
// in errors.
func walk(parent, top int, name, label string, v visitor) (err error) {
	var st unix.Stat_t
	if err := unix.Fstat(top, &st); err != nil {
		unix.Close(top)
		return &TreeError{Op: "stat", Top: label, Err: err}
	}
	dev := st.Dev
	stack := []*frame{{fd: top, name: name, dev: st.Dev, ino: st.Ino}}
	open := 1
	defer func() {
		for _, f := range stack {
			if f.fd >= 0 {
				unix.Close(f.fd)
			}
		}
	}()
	r := newDirentReader()
	for {
		depth := len(stack) - 1
		cur := stack[depth]
		d, ok, err := r.next(cur.fd)
		if err != nil {
			if depth == 0 {
				return &TreeError{Op: "read directory", Top: label, Err: err}
			}
			return &TreeError{Op: "read directory", Top: label, Depth: depth - 1, Name: shortName(cur.name), Err: err}
		}
		if ok {
			cur.seen++
			descend, err := v.entry(cur.fd, d, depth)
			if err != nil {
				return err
			}
			if !descend {
				continue
			}
			fd, err := openDir(cur.fd, d.name)
			if err == unix.EACCES && v.denied != nil {
				if v.denied(cur.fd, d.name) == nil {
					fd, err = openDir(cur.fd, d.name)
				}
			}
			if err == unix.ENOENT {
				continue
			}
			if err != nil {
				return &TreeError{Op: "open", Top: label, Depth: depth, Name: shortName(d.name), Err: err}
			}
			if err := unix.Fstat(fd, &st); err != nil {
				unix.Close(fd)
				return &TreeError{Op: "stat", Top: label, Depth: depth, Name: shortName(d.name), Err: err}
			}
			if st.Dev != dev {
				unix.Close(fd)
				return &TreeError{Op: "enter", Top: label, Depth: depth, Name: shortName(d.name), Err: ErrMountPoint}
			}
			// Entries of cur read but not handled yet are dropped; cur
			// resumes right after d, through the open descriptor or,
			// once closed and re-opened, through off.
			if r.buffered() {
				if _, err := unix.Seek(cur.fd, d.off, 0); err != nil {
					unix.Close(fd)
					return &TreeError{Op: "seek", Top: label, Depth: depth - 1, Name: shortName(cur.name), Err: err}
				}
			}
			r.reset()
			cur.off = d.off
			stack = append(stack, &frame{fd: fd, name: d.name, dev: st.Dev, ino: st.Ino})
			open++
			if open > maxFrames {
				for _, f := range stack {
					if f.fd >= 0 {
						unix.Close(f.fd)
						f.fd = -1
						open--
						break
					}
				}
			}
			continue
		}
		// cur is done: make sure its parent is open, then leave it.
		parentFD := parent
		if depth > 0 {
			p := stack[depth-1]
			if p.fd < 0 {
				fd, err := openDir(cur.fd, "..")
				if err != nil {
					return &TreeError{Op: "open", Top: label, Depth: depth - 1, Name: `".."`, Err: err}
				}
				if err := unix.Fstat(fd, &st); err != nil || st.Dev != p.dev || st.Ino != p.ino {
					unix.Close(fd)
					return &TreeError{Op: "climb", Top: label, Depth: depth - 1, Name: `".."`, Err: errTreeChanged}
				}
				if _, err := unix.Seek(fd, p.off, 0); err != nil {
					unix.Close(fd)
					return &TreeError{Op: "seek", Top: label, Depth: depth - 1, Name: `".."`, Err: err}
				}
				p.fd = fd
				open++
			}
			parentFD = p.fd
		}
		if v.leave != nil {
			err := v.leave(parentFD, cur.name, depth)
			if err == errRescan && cur.seen > 0 {
				cur.seen = 0
				r.reset()
				if _, err := unix.Seek(cur.fd, 0, 0); err != nil {
					return &TreeError{Op: "seek", Top: label, Depth: depth, Err: err}
				}
				continue
			}
			if err == errRescan {
				return &TreeError{Op: "remove", Top: label, Depth: max(depth-1, 0), Name: shortName(cur.name), Err: unix.ENOTEMPTY}
			}
			if err != nil {
				return err
			}
		}
		unix.Close(cur.fd)
		cur.fd = -1
		open--
		stack = stack[:depth]
		r.reset()
		if depth == 0 {
			return nil
		}
	}
}

// openDir opens the directory name below dirfd without following a
// symbolic link (ELOOP) and without opening anything else (ENOTDIR),
// retrying on EINTR.
func openDir(dirfd int, name string) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
