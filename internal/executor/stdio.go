package executor

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Stdio says where the command's standard input, output and error go.
type Stdio struct {
	In  Stream `json:"in"`
	Out Stream `json:"out"`
	Err Stream `json:"err"`
}

// Stream is one standard stream. Kind is "" to keep what the executor was
// started with (the manager's data or /dev/null on input, the unit's log on
// output), "null", "tty" (Path; on input it becomes the controlling
// terminal, Force steals it), "file", "append", "truncate" (Path), "socket"
// (the one socket passed, a connection of Accept=yes, which is then not
// passed at fd 3 too) or, for output, "inherit": the descriptor of the
// stream before it.
type Stream struct {
	Kind  string `json:"kind,omitempty"`
	Path  string `json:"path,omitempty"`
	Force bool   `json:"force,omitempty"`
}

// Exit statuses of the stdio steps, systemd's.
const (
	exitStdin  = 208
	exitStdout = 209
	exitStderr = 222
)

// openedStdio holds the descriptors opened for the three streams (-1:
// keep fd 0, 1 or 2 as it is).
type openedStdio struct {
	fds [3]int
	tty bool // fd 0 is to become the controlling terminal
	// steal takes the terminal from another session (tty-force).
	steal bool
}

// openStdio opens the streams' files. With creds it does so with the
// unit's user's file system identity (fsuid, fsgid, groups of this thread
// only, the executor still being root), so a unit gets no descriptor of a
// file its user could not open itself; systemd opens them as root.
func openStdio(s *Stdio, umask *uint32, creds *fsCreds) (o *openedStdio, err error) {
	o = &openedStdio{fds: [3]int{-1, -1, -1}}
	defer func() {
		if err != nil {
			o.close()
		}
	}()
	if creds != nil {
		restore, err := creds.enter()
		if err != nil {
			return o, step(exitStdin, err)
		}
		defer restore()
	}
	if umask != nil {
		old := syscall.Umask(int(*umask))
		defer syscall.Umask(old)
	}
	codes := [3]int{exitStdin, exitStdout, exitStderr}
	names := [3]string{"standard input", "standard output", "standard error"}
	for i, st := range [3]Stream{s.In, s.Out, s.Err} {
		fd, err := openStream(i, st, o)
		if err != nil {
			return o, step(codes[i], fmt.Errorf("set up %s: %w", names[i], err))
		}
		o.fds[i] = fd
		if i == 0 && st.Kind == "tty" {
			o.tty, o.steal = true, st.Force
		}
	}
	return o, nil
}

func openStream(i int, st Stream, o *openedStdio) (int, error) {
	out := syscall.O_WRONLY
	if i == 0 {
		out = syscall.O_RDONLY
	}
	const flags = syscall.O_NOCTTY | syscall.O_CLOEXEC
	switch st.Kind {
	case "":
		return -1, nil
	case "null":
		return syscall.Open("/dev/null", out|flags, 0)
	case "tty":
		return syscall.Open(st.Path, syscall.O_RDWR|flags, 0)
	case "file":
		if i == 0 {
			return syscall.Open(st.Path, syscall.O_RDONLY|flags, 0)
		}
		return syscall.Open(st.Path, syscall.O_WRONLY|syscall.O_CREAT|flags, 0o666)
	case "append":
		return syscall.Open(st.Path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_APPEND|flags, 0o666)
	case "truncate":
		return syscall.Open(st.Path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC|flags, 0o666)
	case "socket":
		return unix.FcntlInt(uintptr(socketFD), unix.F_DUPFD_CLOEXEC, 3)
	case "inherit":
		if i == 0 {
			return -1, fmt.Errorf("standard input cannot inherit")
		}
		prev := o.fds[i-1]
		if prev < 0 {
			prev = i - 1
		}
		return unix.FcntlInt(uintptr(prev), unix.F_DUPFD_CLOEXEC, 3)
	}
	return -1, fmt.Errorf("unknown stream kind %q", st.Kind)
}

// socketFD is where the one socket of a unit with a stream on its socket
// is passed.
const socketFD = 3

// socketStdio checks that a unit with a stream on "socket" was passed
// exactly one socket, and takes that socket out of the ones passed at fd 3
// and up: it becomes the stream only, in blocking mode, with no
// LISTEN_FDS, as systemd 257 passes a connection.
func socketStdio(c *Context, s *Stdio) error {
	if s == nil || (s.In.Kind != "socket" && s.Out.Kind != "socket" && s.Err.Kind != "socket") {
		return nil
	}
	// systemd 257 fails the exec with EINVAL at its step "SUCCESS", so
	// the command does not run and the unit ends as if it had, exit 0.
	switch {
	case c.ListenFDs > 1:
		return step(0, &wordedError{"Got more than one socket.", unix.EINVAL})
	case c.ListenFDs == 0:
		return step(0, &wordedError{"Got no socket.", unix.EINVAL})
	}
	if err := unix.SetNonblock(socketFD, false); err != nil {
		return step(exitStdin, fmt.Errorf("make the socket blocking: %w", err))
	}
	// Duplicated by openStdio before the executor's own descriptors
	// are closed; the passed one goes at exec.
	unix.CloseOnExec(socketFD)
	c.ListenFDs, c.FDNames = 0, nil
	return nil
}

// wordedError is an error systemd's executor logs in words of its own
// before its "Failed at step" line.
type wordedError struct {
	words string
	errno unix.Errno
}

func (e *wordedError) Error() string { return e.words }
func (e *wordedError) Unwrap() error { return e.errno }

func (o *openedStdio) close() {
	for i, fd := range o.fds {
		if fd >= 0 {
			syscall.Close(fd)
			o.fds[i] = -1
		}
	}
}

// install puts the opened descriptors at 0, 1 and 2, right before exec.
// It returns a function that puts the executor's own standard error back,
// so that a failed exec is still reported to the unit's log.
func (o *openedStdio) install() (undo func(), err error) {
	saved, err := unix.FcntlInt(2, unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return func() {}, fmt.Errorf("keep standard error: %w", err)
	}
	undo = func() { unix.Dup3(saved, 2, 0) }
	codes := [3]int{exitStdin, exitStdout, exitStderr}
	for i, fd := range o.fds {
		if fd < 0 {
			continue
		}
		if err := unix.Dup3(fd, i, 0); err != nil {
			return undo, step(codes[i], fmt.Errorf("install descriptor %d: %w", i, err))
		}
	}
	if o.tty {
		steal := 0
		if o.steal {
			steal = 1
		}
		if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, steal); err != nil {
			return undo, step(exitStdin, fmt.Errorf("make the terminal the controlling one: %w", err))
		}
	}
	return undo, nil
}

// fsCreds is the file system identity files are opened with.
type fsCreds struct {
	uid, gid uint32
	groups   []uint32
}

// enter switches this thread's file system identity; the thread is locked
// (runExecutor), and restore switches back to root's.
func (c *fsCreds) enter() (restore func(), err error) {
	old, err := syscall.Getgroups()
	if err != nil {
		return nil, fmt.Errorf("getgroups: %w", err)
	}
	if err := threadSetgroups(c.groups); err != nil {
		return nil, err
	}
	syscall.RawSyscall(unix.SYS_SETFSGID, uintptr(c.gid), 0, 0)
	syscall.RawSyscall(unix.SYS_SETFSUID, uintptr(c.uid), 0, 0)
	return func() {
		syscall.RawSyscall(unix.SYS_SETFSUID, 0, 0, 0)
		syscall.RawSyscall(unix.SYS_SETFSGID, 0, 0, 0)
		g := make([]uint32, len(old))
		for i, x := range old {
			g[i] = uint32(x)
		}
		threadSetgroups(g)
	}, nil
}

// threadSetgroups sets the supplementary groups of this thread only (the
// libc and Go wrappers change every thread's).
func threadSetgroups(groups []uint32) error {
	var p unsafe.Pointer
	if len(groups) > 0 {
		p = unsafe.Pointer(&groups[0])
	}
	if _, _, e := syscall.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(groups)), uintptr(p), 0); e != 0 {
		return fmt.Errorf("setgroups: %w", e)
	}
	return nil
}
