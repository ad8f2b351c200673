package listen

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The system manager may bind in a directory a capsule can write (its
// runtime directory). Every step that touches the file system therefore
// goes through directory descriptors opened without following symbolic
// links that someone else made: a capsule must not steer root's mkdir,
// bind, chmod, chown or unlink elsewhere.

const maxSymlinks = 40

// openDir opens dir as an O_PATH descriptor, one component at a time.
// A symbolic link is followed only if the manager's own user owns it and
// the directory it is in (a link of the host's, such as /var/run, or of a
// capsule manager's own); any other makes it fail with ELOOP. create makes missing directories with mode.
func openDir(dir string, create bool, mode os.FileMode) (int, error) {
	fd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	comps := strings.Split(dir, "/")
	links := 0
	for len(comps) > 0 {
		c := comps[0]
		comps = comps[1:]
		if c == "" || c == "." {
			continue
		}
		if c == ".." {
			unix.Close(fd)
			return -1, fmt.Errorf("%s: %w", dir, unix.EINVAL)
		}
		nfd, err := unix.Openat(fd, c, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		made := false
		if errors.Is(err, unix.ENOENT) && create {
			if err = unix.Mkdirat(fd, c, 0o700); err == nil || errors.Is(err, unix.EEXIST) {
				made = err == nil
				nfd, err = unix.Openat(fd, c, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			}
		}
		if err != nil {
			unix.Close(fd)
			return -1, err
		}
		var st unix.Stat_t
		if err := unix.Fstat(nfd, &st); err != nil {
			unix.Close(nfd)
			unix.Close(fd)
			return -1, err
		}
		// What was opened is checked before it is given the mode: a
		// name swapped after mkdir for someone else's node (a link, a
		// file, their directory) keeps its mode.
		if made && st.Mode&unix.S_IFMT == unix.S_IFDIR && int(st.Uid) == os.Geteuid() {
			if err := chmodFD(nfd, mode); err != nil {
				unix.Close(nfd)
				unix.Close(fd)
				return -1, err
			}
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			unix.Close(fd)
			fd = nfd
		case unix.S_IFLNK:
			target, err := readlinkFD(nfd)
			unix.Close(nfd)
			var dst unix.Stat_t
			if err == nil {
				err = unix.Fstat(fd, &dst)
			}
			// The link must be the manager's user's, and so must the
			// directory it is in: another user could have moved it there.
			if err == nil && (int(st.Uid) != os.Geteuid() || int(dst.Uid) != os.Geteuid()) {
				err = fmt.Errorf("refusing to follow the symbolic link %s (owner UID %d, its directory's %d): %w", c, st.Uid, dst.Uid, unix.ELOOP)
			}
			if links++; err == nil && links > maxSymlinks {
				err = unix.ELOOP
			}
			if err != nil {
				unix.Close(fd)
				return -1, err
			}
			if strings.HasPrefix(target, "/") {
				unix.Close(fd)
				if fd, err = unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
					return -1, err
				}
			}
			comps = append(strings.Split(target, "/"), comps...)
		default:
			unix.Close(nfd)
			unix.Close(fd)
			return -1, unix.ENOTDIR
		}
	}
	return fd, nil
}

func readlinkFD(fd int) (string, error) { return readlinkAt(fd, "") }

func fileMode(m uint32) os.FileMode { return os.FileMode(m) }

// chmodFD changes the mode of what an O_PATH descriptor refers to (not
// a symbolic link's target: the descriptor is the node itself).
func chmodFD(fd int, mode os.FileMode) error {
	return unix.Chmod("/proc/self/fd/"+strconv.Itoa(fd), uint32(mode.Perm()))
}

// node is a file system node a listener made, held by its directory.
type node struct {
	dir  int // O_PATH descriptor of the directory
	name string
}

func openNodeDir(path string, create bool, mode os.FileMode) (node, error) {
	dir, name := filepath.Split(path)
	fd, err := openDir(dir, create, mode)
	if err != nil {
		return node{dir: -1}, err
	}
	return node{dir: fd, name: name}, nil
}

func (n node) close() {
	if n.dir >= 0 {
		unix.Close(n.dir)
	}
}

// stat returns the node's own metadata, not following a link.
func (n node) stat() (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Fstatat(n.dir, n.name, &st, unix.AT_SYMLINK_NOFOLLOW)
	return st, err
}

// setOwnerMode gives the node mode and owner (-1 keeps one), checking
// through the same descriptor that it is still of type ifmt: a node
// swapped for a link or another file is left alone.
func (n node) setOwnerMode(ifmt uint32, mode os.FileMode, uid, gid int) error {
	fd, err := unix.Openat(n.dir, n.name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return setOwnerModeFD(fd, n.name, ifmt, mode, uid, gid)
}

// setOwnerModeFD gives the node open as fd mode and owner, if it is of
// type ifmt and the manager's: the node the manager made, not one
// someone else put in its place.
func setOwnerModeFD(fd int, name string, ifmt uint32, mode os.FileMode, uid, gid int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != ifmt || int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s was replaced: %w", name, unix.EEXIST)
	}
	if err := chmodFD(fd, mode); err != nil {
		return err
	}
	if uid >= 0 || gid >= 0 {
		if err := unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH); err != nil {
			return &ChownError{Err: err}
		}
	}
	return nil
}

// ChownError is a failure to give a node SocketUser=/SocketGroup=.
type ChownError struct{ Err error }

func (e *ChownError) Error() string { return "Failed to chown(): " + ErrnoText(e.Err) }
func (e *ChownError) Unwrap() error { return e.Err }

// Remove removes the node a listener made (a socket or FIFO; a message
// queue is unlinked), if it is still of that type: RemoveOnStop=.
// Nothing is removed through a link someone else made.
func Remove(s Spec) error {
	if s.Kind == MessageQueue {
		return mqUnlink(s.Path)
	}
	if !s.HasNode() {
		return nil
	}
	n, err := openNodeDir(s.Path, false, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return err
	}
	defer n.close()
	return n.removeIf(s.nodeType())
}

func (n node) removeIf(ifmt uint32) error {
	st, err := n.stat()
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != ifmt {
		return nil
	}
	if err := unix.Unlinkat(n.dir, n.name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	return nil
}

func (s Spec) nodeType() uint32 {
	if s.Kind == FIFO {
		return unix.S_IFIFO
	}
	return unix.S_IFSOCK
}
