package fstree

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// RemoveAll removes path and everything below it, as os.RemoveAll does,
// but with at most MaxOpenDirs descriptors open however deep the tree is,
// and with errors that name path and a depth instead of a path of any
// length. A symbolic link is removed, never followed, the top included;
// nothing but directories is ever opened. A path that does not exist is
// not an error. It stops at the first entry it cannot remove.
func RemoveAll(path string) error {
	path = filepath.Clean(path)
	dir, base := filepath.Split(path)
	if base == "" || base == "." || base == ".." || base == "/" {
		return fmt.Errorf("remove %s: refusing to remove this path", path)
	}
	if dir == "" {
		dir = "."
	}
	parent, err := openDir(unix.AT_FDCWD, dir)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return &TreeError{Op: "open parent of", Top: path, Err: err}
	}
	defer unix.Close(parent)
	// Nothing but a process racing with the removal can move a directory
	// away from under it; start over a few times before giving up.
	for attempt := 0; ; attempt++ {
		err := removeAt(parent, base, path)
		if !errors.Is(err, errTreeChanged) || attempt == 3 {
			return err
		}
	}
}

// removeAt removes the tree name below parent; label names it in errors.
func removeAt(parent int, name, label string) error {
	fd, err := openDir(parent, name)
	if err == unix.EACCES && fixMode(parent, name) == nil {
		fd, err = openDir(parent, name)
	}
	switch err {
	case nil:
	case unix.ENOENT:
		return nil
	case unix.ELOOP, unix.ENOTDIR:
		// A symbolic link (removed, not followed) or another file.
		if err := unix.Unlinkat(parent, name, 0); err != nil && err != unix.ENOENT {
			return &TreeError{Op: "unlink", Top: label, Err: err}
		}
		return nil
	default:
		return &TreeError{Op: "open", Top: label, Err: err}
	}
	return walk(parent, fd, name, label, visitor{
		entry: func(dirfd int, d dirent, depth int) (bool, error) {
			return removeEntry(dirfd, d, depth, label)
		},
		leave: func(parentFD int, name string, depth int) error {
			err := rmdir(parentFD, name)
			switch {
			case err == nil:
				return nil
			case err == unix.ENOTEMPTY || err == unix.EEXIST:
				return errRescan
			case depth == 0:
				return &TreeError{Op: "rmdir", Top: label, Err: err}
			}
			return &TreeError{Op: "rmdir", Top: label, Depth: depth - 1, Name: shortName(name), Err: err}
		},
		denied: fixMode,
	})
}

// removeEntry removes one entry of the directory open at dirfd, or says
// that it is a directory with something in it, to be emptied first.
func removeEntry(dirfd int, d dirent, depth int, label string) (descend bool, err error) {
	if d.typ == unix.DT_DIR {
		// An empty directory goes without being opened.
		switch err := rmdir(dirfd, d.name); err {
		case nil, unix.ENOENT:
			return false, nil
		case unix.ENOTEMPTY, unix.EEXIST:
			return true, nil
		case unix.ENOTDIR:
		default:
			return false, &TreeError{Op: "rmdir", Top: label, Depth: depth, Name: shortName(d.name), Err: err}
		}
	}
	err = unix.Unlinkat(dirfd, d.name, 0)
	if err == unix.EACCES && unix.Fchmod(dirfd, 0o700) == nil {
		err = unix.Unlinkat(dirfd, d.name, 0)
	}
	switch err {
	case nil, unix.ENOENT:
		return false, nil
	case unix.EISDIR:
		return true, nil // the file system did not report the type
	}
	return false, &TreeError{Op: "unlink", Top: label, Depth: depth, Name: shortName(d.name), Err: err}
}

// rmdir removes the empty directory name below dirfd. Without write
// permission on dirfd (only when not running as root: a tree of one's
// own with a directory of mode 0500), it grants itself that first.
func rmdir(dirfd int, name string) error {
	err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
	if err == unix.EACCES && unix.Fchmod(dirfd, 0o700) == nil {
		err = unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
	}
	return err
}

// fixMode makes the directory name below dirfd readable and searchable
// by its owner, for a caller without CAP_DAC_OVERRIDE removing a
// directory of its own with mode 000. The caller saw a directory there;
// the tree is not changing, so following a link is not a concern.
func fixMode(dirfd int, name string) error {
	return unix.Fchmodat(dirfd, name, 0o700, 0)
}
