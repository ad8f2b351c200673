package busctl

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// systemIDMax is the last system UID/GID (SYSTEM_UID_MAX on Debian).
const systemIDMax = 999

// Socket is a capsule's bus socket pinned as an O_PATH descriptor, with
// the UID and GID of its inode's owner.
type Socket struct {
	FD       int
	UID, GID uint32
}

// Close releases the pinned descriptor.
func (s *Socket) Close() error { return unix.Close(s.FD) }

// PinSocket opens path (absolute) component by component, as busctl
// --capsule= does: every component with O_PATH|O_NOFOLLOW from the
// previous one, so a symlink is never followed, and a component owned by
// someone else than its non-root parent's owner is refused (the capsule
// owns its runtime directory and everything root finds in it). The result
// must be a socket owned by a non-system user: its owner is whom root
// connects as. Errors are errnos, as busctl reports them.
func PinSocket(path string) (*Socket, error) {
	if !filepath.IsAbs(path) {
		return nil, unix.EINVAL
	}
	fd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, err
	}
	comps := strings.Split(strings.Trim(filepath.Clean(path), "/"), "/")
	for _, c := range comps {
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			unix.Close(fd)
			return nil, unix.ENOTDIR
		}
		nfd, err := unix.Openat(fd, c, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return nil, err
		}
		fd = nfd
		var child unix.Stat_t
		if err := unix.Fstat(fd, &child); err != nil {
			unix.Close(fd)
			return nil, err
		}
		// An unprivileged directory may only hold what its owner owns:
		// anything else was put there to mislead root.
		if st.Uid != 0 && child.Uid != st.Uid {
			unix.Close(fd)
			return nil, unix.ENOLINK
		}
		if child.Mode&unix.S_IFMT == unix.S_IFLNK {
			unix.Close(fd)
			return nil, unix.EREMCHG
		}
		st = child
	}
	if st.Uid <= systemIDMax || st.Gid <= systemIDMax {
		unix.Close(fd)
		return nil, unix.EPERM
	}
	return &Socket{FD: fd, UID: st.Uid, GID: st.Gid}, nil
}

// IsSocket reports whether the pinned inode is a socket.
func (s *Socket) IsSocket() bool {
	var st unix.Stat_t
	return unix.Fstat(s.FD, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK
}

// ErrnoText is an errno as strerror(3) words it ("No such file or
// directory"), for busctl's messages.
func ErrnoText(err error) string {
	var en unix.Errno
	if errors.As(err, &en) {
		s := en.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return fmt.Sprint(err)
}
