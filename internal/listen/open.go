package listen

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Error is a listener that could not be opened, worded as systemd 257
// logs it ("Failed to create listening socket ([::]:1023): Permission
// denied"); Watch marks a file that cannot be polled.
type Error struct {
	Msg   string
	Err   error
	Watch bool
}

func (e *Error) Error() string { return e.Msg + ": " + ErrnoText(e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// ErrnoText is an errno's text as strerror words it (capitalised).
func ErrnoText(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		s := en.Error()
		if s != "" {
			return string(s[0]-'a'+'A') + s[1:]
		}
	}
	return err.Error()
}

// Warning is a socket option that could not be set: systemd logs it and
// goes on.
type Warning string

// Open opens the listener s with the unit's options o. The warnings are
// options the kernel refused, which do not fail the listener.
func Open(s Spec, o *Options) (*os.File, []Warning, error) {
	switch s.Kind {
	case FIFO:
		f, err := openFIFO(s, o)
		return f, nil, err
	case Special:
		f, err := openSpecial(s, o)
		return f, nil, err
	case MessageQueue:
		f, err := openMQ(s, o)
		return f, nil, err
	case Netlink:
		return openNetlink(s, o)
	}
	return openSocket(s, o)
}

func openFIFO(s Spec, o *Options) (*os.File, error) {
	fail := func(err error) error { return &Error{Msg: fmt.Sprintf("Failed to open FIFO '%s'", s.Path), Err: err} }
	n, err := openNodeDir(s.Path, true, o.DirectoryMode)
	if err != nil {
		return nil, fail(err)
	}
	defer n.close()
	mode := o.SocketMode.Perm() &^ o.FIFOUmask
	created := true
	if err := unix.Mkfifoat(n.dir, n.name, 0o600); errors.Is(err, unix.EEXIST) {
		created = false
	} else if err != nil {
		return nil, fail(err)
	}
	fd, err := unix.Openat(n.dir, n.name, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fail(err)
	}
	f := os.NewFile(uintptr(fd), s.Path)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, fail(err)
	}
	// What was opened must be the manager's FIFO, every time: one made
	// here can be swapped for someone else's between mkfifo and open.
	// One left from before is taken over only if it is the one this
	// manager would make, its mode included (as systemd, which checks
	// before SocketUser= changes the owner).
	if st.Mode&unix.S_IFMT != unix.S_IFIFO || int(st.Uid) != os.Geteuid() ||
		!created && (os.FileMode(st.Mode&0o7777) != mode || int(st.Gid) != os.Getegid()) {
		f.Close()
		return nil, fail(unix.EEXIST)
	}
	// Mode and owner go through the open FIFO, not its name again.
	if err := setOwnerModeFD(fd, n.name, unix.S_IFIFO, mode, o.UID, o.GID); err != nil {
		f.Close()
		var ce *ChownError
		if errors.As(err, &ce) {
			return nil, ce
		}
		return nil, fail(err)
	}
	if o.PipeSize > 0 {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, o.PipeSize); err != nil {
			f.Close()
			return nil, fail(err)
		}
	}
	return f, nil
}

func openSpecial(s Spec, o *Options) (*os.File, error) {
	fail := func(err error) error {
		return &Error{Msg: fmt.Sprintf("Failed to open special file '%s'", s.Path), Err: err}
	}
	flags := unix.O_RDONLY
	if o.Writable {
		flags = unix.O_RDWR
	}
	n, err := openNodeDir(s.Path, false, 0)
	if err != nil {
		return nil, fail(err)
	}
	defer n.close()
	fd, err := unix.Openat(n.dir, n.name, flags|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fail(err)
	}
	f := os.NewFile(uintptr(fd), s.Path)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, fail(err)
	}
	// As systemd: a character device or a regular file, nothing else.
	if t := st.Mode & unix.S_IFMT; t != unix.S_IFCHR && t != unix.S_IFREG {
		f.Close()
		return nil, fail(unix.EEXIST)
	}
	if err := checkPollable(fd); err != nil {
		f.Close()
		return nil, &Error{Msg: "Failed to watch listening fds", Err: err, Watch: true}
	}
	return f, nil
}

// checkPollable fails as epoll refuses a file that cannot be polled
// (/dev/null, a regular file), which systemd finds when it starts to
// watch the listener.
func checkPollable(fd int) error {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(ep)
	return unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN})
}
