package manager

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/capsuled/capsuled/internal/fstree"
	"golang.org/x/sys/unix"
)

// mountRuntimeDir makes path a tmpfs of its own for a dynamic user, as
// logind does for /run/user/UID: bounded in size and inodes, mode 0700,
// owned by uid, nosuid and nodev. Without it the directory would live on
// whatever holds /run, which may be the root disk, without a bound.
func mountRuntimeDir(path string, uid, gid int, size uint64) error {
	if err := os.Mkdir(path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", path, err)
	}
	// A mount left by a manager that died is replaced, not stacked on.
	unmountAll(path)
	opts := fmt.Sprintf("mode=0700,uid=%d,gid=%d,size=%d,nr_inodes=%d", uid, gid, size, tmpfsInodes(size))
	if err := unix.Mount("tmpfs", path, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("mount tmpfs on %s: %w", path, err)
	}
	return nil
}

// unmountAll detaches every mount stacked on path; a lazy unmount cannot
// be held up by a process that still has a file open there.
func unmountAll(path string) {
	for range 16 {
		if err := unix.Unmount(path, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW); err != nil {
			return
		}
	}
}

// removeRuntimeDir unmounts and removes a runtime directory.
func removeRuntimeDir(path string) error {
	unmountAll(path)
	return fstree.RemoveAll(path)
}
