package listen

import (
	"fmt"
	"os"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mqAttr is struct mq_attr.
type mqAttr struct {
	Flags, MaxMsg, MsgSize, CurMsgs int64
	_                               [4]int64
}

// openMQ opens (creating it) the POSIX message queue s.Path, as
// ListenMessageQueue= does; the kernel takes the name without its "/".
func openMQ(s Spec, o *Options) (*os.File, error) {
	fail := func(err error) error {
		return &Error{Msg: fmt.Sprintf("Failed to open message queue '%s'", s.Path), Err: err}
	}
	name, err := unix.BytePtrFromString(strings.TrimPrefix(s.Path, "/"))
	if err != nil {
		return nil, fail(err)
	}
	var attr *mqAttr
	if o.MQMaxMsg > 0 && o.MQMsgSize > 0 {
		attr = &mqAttr{MaxMsg: o.MQMaxMsg, MsgSize: o.MQMsgSize}
	}
	open := func(flags int) (uintptr, unix.Errno) {
		r, _, errno := unix.Syscall6(unix.SYS_MQ_OPEN, uintptr(unsafe.Pointer(name)),
			uintptr(unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|flags), uintptr(o.SocketMode.Perm()), uintptr(unsafe.Pointer(attr)), 0, 0)
		return r, errno
	}
	created := true
	r, errno := open(unix.O_CREAT | unix.O_EXCL)
	if errno == unix.EEXIST {
		created = false
		r, errno = open(0)
	}
	if errno != 0 {
		return nil, fail(errno)
	}
	fd := int(r)
	f := os.NewFile(uintptr(fd), s.Path)
	if created {
		// The umask applies at creation; the mode is SocketMode= exactly.
		if err := unix.Fchmod(fd, uint32(o.SocketMode.Perm())); err != nil {
			f.Close()
			return nil, fail(err)
		}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, fail(err)
	}
	// One left from before is taken over only if it is what this manager
	// makes, as systemd checks.
	if os.FileMode(st.Mode&0o7777) != o.SocketMode.Perm() || int(st.Uid) != os.Geteuid() || int(st.Gid) != os.Getegid() {
		f.Close()
		return nil, fail(unix.EEXIST)
	}
	if o.UID >= 0 || o.GID >= 0 {
		if err := unix.Fchown(fd, o.UID, o.GID); err != nil {
			f.Close()
			return nil, &ChownError{Err: err}
		}
	}
	return f, nil
}

func mqUnlink(path string) error {
	name, err := unix.BytePtrFromString(strings.TrimPrefix(path, "/"))
	if err != nil {
		return err
	}
	if _, _, errno := unix.Syscall(unix.SYS_MQ_UNLINK, uintptr(unsafe.Pointer(name)), 0, 0); errno != 0 && errno != unix.ENOENT {
		return errno
	}
	return nil
}
