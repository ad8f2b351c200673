package dynuser

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mqueueFS mounts the POSIX message queue file system of our IPC
// namespace without attaching it anywhere (fsopen/fsmount), so queues can
// be found and removed on hosts where /dev/mqueue is not mounted, without
// touching any mount namespace. The caller closes the returned directory.
// It returns nil when the kernel has no POSIX message queues.
func mqueueFS() (*os.File, error) {
	fsfd, err := unix.Fsopen("mqueue", unix.FSOPEN_CLOEXEC)
	if errors.Is(err, unix.ENODEV) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fsopen mqueue: %w", err)
	}
	defer unix.Close(fsfd)
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return nil, fmt.Errorf("create mqueue file system: %w", err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NOEXEC|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV)
	if err != nil {
		return nil, fmt.Errorf("mount mqueue file system: %w", err)
	}
	defer unix.Close(mfd)
	// The mount descriptor only names the mount; its root is read through
	// a descriptor opened below it.
	dfd, err := unix.Openat(mfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open mqueue file system: %w", err)
	}
	return os.NewFile(uintptr(dfd), "mqueue"), nil
}

// mqueuesOf lists the names of the queues in dir owned by uid or gid; dir
// is read once.
func mqueuesOf(dir *os.File, uid, gid uint32) ([]string, error) {
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("read mqueue file system: %w", err)
	}
	var out []string
	for _, n := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(int(dir.Fd()), n, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			continue // removed meanwhile
		}
		if st.Uid == uid || st.Gid == gid {
			out = append(out, n)
		}
	}
	return out, nil
}

// mqueueUsed reports whether a POSIX message queue belongs to id.
func mqueueUsed(id uint32) (bool, error) {
	dir, err := mqueueFS()
	if err != nil || dir == nil {
		return false, err
	}
	defer dir.Close()
	names, err := mqueuesOf(dir, id, id)
	return len(names) > 0, err
}

// removeMqueues deletes the POSIX message queues of uid or gid.
func removeMqueues(uid, gid uint32) error {
	dir, err := mqueueFS()
	if err != nil || dir == nil {
		return err
	}
	defer dir.Close()
	names, err := mqueuesOf(dir, uid, gid)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		if err := unix.Unlinkat(int(dir.Fd()), n, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("remove message queue /%s: %w", n, err))
		}
	}
	return errors.Join(errs...)
}
