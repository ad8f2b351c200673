package fstree

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Chown gives path and everything below it to uid:gid without following
// symbolic links, and drops set-user-ID and set-group-ID bits so that a
// new owner cannot inherit privileged programs. Like RemoveAll it holds at
// most MaxOpenDirs descriptors and opens nothing but directories.
func Chown(path string, uid, gid int) error {
	top, err := openDir(unix.AT_FDCWD, path)
	if err == unix.ELOOP || err == unix.ENOTDIR {
		// Not a directory: only the entry itself changes hands.
		if err := unix.Fchownat(unix.AT_FDCWD, path, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return &TreeError{Op: "chown", Top: path, Err: err}
		}
		return nil
	}
	if err != nil {
		return &TreeError{Op: "open", Top: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(top, &st); err != nil {
		unix.Close(top)
		return &TreeError{Op: "stat", Top: path, Err: err}
	}
	prev := int(st.Uid)
	if err := unix.Fchown(top, uid, gid); err != nil {
		unix.Close(top)
		return &TreeError{Op: "chown", Top: path, Err: err}
	}
	if st.Mode&(unix.S_ISUID|unix.S_ISGID) != 0 {
		if err := unix.Fchmod(top, st.Mode&0o1777); err != nil {
			unix.Close(top)
			return &TreeError{Op: "chmod", Top: path, Err: err}
		}
	}
	// The top is reached through path; "" as its parent is never used,
	// as the walk has no leave function.
	return walk(-1, top, path, path, visitor{entry: func(dirfd int, d dirent, depth int) (bool, error) {
		return chownEntry(dirfd, d, depth, path, prev, uid, gid)
	}})
}

// chownEntry re-owns one entry of the directory open at dirfd.
// A file with more than one link that belongs to neither the tree's
// previous owner (prev) nor the new one is left alone: it is a link to a
// file outside the tree, which protected_hardlinks allows for files the
// linker may write.
func chownEntry(dirfd int, d dirent, depth int, label string, prev, uid, gid int) (descend bool, err error) {
	fail := func(op string, err error) (bool, error) {
		return false, &TreeError{Op: op, Top: label, Depth: depth, Name: shortName(d.name), Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, d.name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return false, nil
		}
		return fail("stat", err)
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	if !isDir && st.Nlink > 1 && int(st.Uid) != prev && int(st.Uid) != uid {
		return false, nil
	}
	if err := unix.Fchownat(dirfd, d.name, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return false, nil
		}
		return fail("chown", err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return false, nil
	}
	if st.Mode&(unix.S_ISUID|unix.S_ISGID) != 0 {
		// Not a symbolic link (checked above), and the tree is not
		// changing while it is re-owned, so following is not a concern.
		if err := unix.Fchmodat(dirfd, d.name, st.Mode&0o1777, 0); err != nil {
			return fail("chmod", fmt.Errorf("drop set-ID bits: %w", err))
		}
	}
	return isDir, nil
}
