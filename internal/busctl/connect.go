package busctl

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// connectTimeout bounds a connect() the capsule stalls (a full backlog
// blocks it), as sd-bus bounds a call.
const connectTimeout = 25 * time.Second

// dialAs connects a new stream socket to the pinned socket through
// /proc/self/fd/N with the capsule's credentials, while the process stays
// root: the broker admits only its own user, and SO_PEERCRED records the
// credentials of connect().
//
// Only one thread ever holds the capsule's credentials: a goroutine locked
// to its own OS thread switches that thread alone with raw setgroups,
// setresgid and setresuid system calls (Go's syscall.Setresuid would
// switch every thread), connects, and returns still locked, so the thread
// exits and no other goroutine ever runs with those credentials.
//
// The capsule cannot ptrace that thread, or read its memory through
// /proc, while it holds the capsule's UID: changing the effective UID
// makes the kernel set the process's dumpable flag to fs.suid_dumpable
// (commit_creds), and with 0 (the default; 2 is as safe) a task whose mm
// is not dumpable can be ptraced, or its /proc/PID/mem opened, only with
// CAP_SYS_PTRACE, which a capsule never has. With fs.suid_dumpable=1 the
// flag would stay set, so dialAs refuses to switch then. The flag is per
// process and stays cleared afterwards, which costs root nothing. Signals
// remain possible in that window (the thread's real UID is the capsule's):
// a capsule can kill capsulectl, as it can kill busctl's helper process.
func dialAs(s *Socket) (int, error) {
	if b, err := os.ReadFile("/proc/sys/fs/suid_dumpable"); err != nil || strings.TrimSpace(string(b)) == "1" {
		return -1, fmt.Errorf("fs.suid_dumpable is 1 (or unreadable: %v): the capsule could ptrace capsulectl while it connects as the capsule's user; refusing", err)
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	tv := unix.NsecToTimeval(connectTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
		unix.Close(fd)
		return -1, err
	}
	addr := &unix.SockaddrUnix{Name: fmt.Sprintf("/proc/self/fd/%d", s.FD)}
	errc := make(chan error, 1)
	go connectOnThread(fd, addr, s.UID, s.GID, errc)
	if err := <-errc; err != nil {
		unix.Close(fd)
		return -1, err
	}
	// Later reads and writes have deadlines of their own.
	tv = unix.Timeval{}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// connectOnThread runs on a thread of its own; see dialAs.
func connectOnThread(fd int, addr *unix.SockaddrUnix, uid, gid uint32, errc chan<- error) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		// The main thread is never ended (Go parks it) and stands for the
		// process in /proc: switch another one. While this goroutine holds
		// the main thread, the new goroutine gets another thread.
		inner := make(chan error, 1)
		go connectOnThread(fd, addr, uid, gid, inner)
		errc <- <-inner
		runtime.UnlockOSThread()
		return
	}
	// Never unlocked from here on: the thread exits with this goroutine.
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, 0, 0, 0); e != 0 {
		errc <- fmt.Errorf("drop supplementary groups: %w", e)
		return
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(gid), uintptr(gid), uintptr(gid)); e != 0 {
		errc <- fmt.Errorf("switch thread to GID %d: %w", gid, e)
		return
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(uid), uintptr(uid), uintptr(uid)); e != 0 {
		errc <- fmt.Errorf("switch thread to UID %d: %w", uid, e)
		return
	}
	if d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); err != nil || d == 1 {
		errc <- errors.New("process still dumpable after switching to the capsule's user; refusing to connect")
		return
	}
	errc <- unix.Connect(fd, addr)
}
