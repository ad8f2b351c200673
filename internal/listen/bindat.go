package listen

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// sunPathMax is sizeof(sockaddr_un.sun_path).
const sunPathMax = 108

// bindAt binds fd to path, whose directory the node holds. bind(2) takes
// a path and resolves it again: a capsule that swaps a component of the
// path for a link after the walk would have root make the socket wherever
// the link points. Root therefore binds so that the path resolves to the
// held directory whatever happens to the names on the host: from a
// thread with a private mount namespace and root where the path's
// directory is that directory, mounted there (the socket keeps the
// configured path as its address, as ss and getsockname show it). If
// that cannot be set up, it binds through /proc/self/fd/N/NAME, which
// resolves to the held directory too. A manager that is not root binds
// the path as it is: it binds only where its own user, who could make
// the links it follows, can anyway.
func bindAt(fd int, n node, path string) error {
	if os.Geteuid() != 0 {
		return unix.Bind(fd, &unix.SockaddrUnix{Name: path})
	}
	var bindErr error
	setupErr := inThread(func() error {
		if err := privateRoot(n.dir, filepath.Dir(path)); err != nil {
			return err
		}
		bindErr = unix.Bind(fd, &unix.SockaddrUnix{Name: path})
		return nil
	})
	if setupErr == nil {
		return bindErr
	}
	p := "/proc/self/fd/" + strconv.Itoa(n.dir) + "/" + n.name
	if len(p) < sunPathMax {
		return unix.Bind(fd, &unix.SockaddrUnix{Name: p})
	}
	return inThread(func() error {
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			return err
		}
		if err := unix.Fchdir(n.dir); err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrUnix{Name: n.name})
	})
}

// inThread runs f on a thread of its own that ends with it: f changes
// the thread's working directory, root or mount namespace, which must
// never reach other goroutines.
// The process's main thread is never used: it does not exit with its
// goroutine, and /proc/self (the mount table the manager reads, for one)
// shows its namespace.
func inThread(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// Held here, the main thread cannot run the goroutine
			// inThread starts: that one gets another thread.
			errc <- inThread(f)
			runtime.UnlockOSThread()
			return
		}
		errc <- f() // never unlocked: the thread exits with the goroutine
	}()
	return <-errc
}

// privateRoot gives the calling thread a mount namespace of its own and,
// as root, a fresh tmpfs where dir is a mount of the directory held by
// dirFD. Nothing on the host's file system is changed.
func privateRoot(dirFD int, dir string) error {
	// A copy of the held directory's mount at that directory, taken
	// while the thread still shares the manager's namespace.
	tree, err := unix.OpenTree(dirFD, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(tree)
	// The thread's own namespace, so that chroot and mounts reach no
	// one else.
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return err
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return err
	}
	// A detached tmpfs: no name on the host for anyone to swap.
	fsfd, err := unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(fsfd)
	if err := unix.FsconfigSetString(fsfd, "mode", "0700"); err != nil {
		return err
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return err
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(mfd)
	if err := unix.Fchdir(mfd); err != nil {
		return err
	}
	if err := unix.Chroot("."); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return unix.MoveMount(tree, "", unix.AT_FDCWD, dir, unix.MOVE_MOUNT_F_EMPTY_PATH)
}
