package executor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	osexec "os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/exitstatus"
	"github.com/capsuled/capsuled/internal/keyring"
)

// ExecutorArg is argv[1] of the manager binary when it runs as executor.
const ExecutorArg = "--executor"

// FailArg is argv[1] of a process that fails a step before any exec, as
// systemd's forked child does when the manager could not resolve the
// unit's credentials: argv[2] is the exit status, the rest are lines it
// writes to standard error (the unit's log).
const FailArg = "--executor-fail"

// holdArg is argv[1] when the binary only has to exist inside a new user
// namespace until its ID map has been taken.
const holdArg = "--hold-userns"

// Command prepares the executor process for c; listen are the sockets of
// c.ListenFDs, which the command finds at fd 3 and up. The caller sets stdio,
// SysProcAttr (new mount namespace, cgroup) and starts it.
func Command(exe string, c *Context, listen ...*os.File) (*osexec.Cmd, error) {
	cmd, held, err := CommandHeld(exe, c, listen...)
	if held != nil {
		held.Close()
	}
	return cmd, err
}

// CommandHeld is Command with the write end of the context pipe left open:
// the executor reads its context to the end, so it does nothing until the
// caller closes held (after it has moved the started process into its
// cgroup, say).
func CommandHeld(exe string, c *Context, listen ...*os.File) (cmd *osexec.Cmd, held *os.File, err error) {
	if len(listen) != c.ListenFDs {
		return nil, nil, fmt.Errorf("exec context names %d sockets, %d given", c.ListenFDs, len(listen))
	}
	extra := append([]*os.File{}, listen...)
	if c.IPCNamespace != nil {
		c.IPCNamespaceFD = 3 + len(extra)
		extra = append(extra, c.IPCNamespace)
	}
	if c.NetNamespace != nil {
		c.NetNamespaceFD = 3 + len(extra)
		extra = append(extra, c.NetNamespace)
	}
	if c.ExecReport != nil {
		c.ExecReportFD = 3 + len(extra)
		extra = append(extra, c.ExecReport)
	}
	data, err := json.Marshal(c)
	if err != nil {
		return nil, nil, fmt.Errorf("encode exec context: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("exec context pipe: %w", err)
	}
	// The whole context goes into the pipe before the executor runs, so
	// the pipe must hold it: 64 KiB by default, grown for a context with a
	// large environment (EnvironmentFile= values of up to 128 KiB each, as
	// execve takes them) up to the system's pipe-max-size.
	if err := fitPipe(w, len(data)); err != nil {
		r.Close()
		w.Close()
		return nil, nil, err
	}
	if _, err := w.Write(data); err != nil {
		r.Close()
		w.Close()
		return nil, nil, fmt.Errorf("write exec context: %w", err)
	}
	// The context comes last, at an fd named on the command line, so the
	// sockets keep the numbers the command expects.
	ctxFD := 3 + len(extra)
	extra = append(extra, r)
	cmd = &osexec.Cmd{Path: exe, Args: []string{exe, ExecutorArg, strconv.Itoa(ctxFD)}, ExtraFiles: extra}
	return cmd, w, nil
}

// IsExecutor reports whether args ask this binary to act as executor, and
// runs that mode if so. It never returns when it handled the call.
func IsExecutor(args []string) bool {
	if len(args) < 2 {
		return false
	}
	switch args[1] {
	case ExecutorArg:
		fd := 3
		if len(args) > 2 {
			n, err := strconv.Atoi(args[2])
			if err != nil || n < 3 {
				fmt.Fprintf(os.Stderr, "executor: bad context fd %q\n", args[2])
				os.Exit(1)
			}
			fd = n
		}
		err := runExecutor(fd)
		se, ok := err.(*stepError)
		if !ok || se.spawning == "" {
			fmt.Fprintf(os.Stderr, "executor: %v\n", err)
		} else {
			// The lines systemd's executor leaves in the unit's log.
			prefix := ""
			if se.unit != "" {
				prefix = se.unit + ": "
			}
			fmt.Fprintf(os.Stderr, "%s%s\n", prefix, se.describe())
			fmt.Fprintf(os.Stderr, "%sFailed at step %s spawning %s: %s\n", prefix, exitstatus.Name(se.code), se.spawning, errnoText(se.err))
		}
		os.Exit(exitCode(err))
	case FailArg:
		code := 1
		if len(args) > 2 {
			if n, err := strconv.Atoi(args[2]); err == nil && n > 0 && n < 256 {
				code = n
			}
		}
		for _, l := range args[min(len(args), 3):] {
			fmt.Fprintln(os.Stderr, l)
		}
		os.Exit(code)
	case holdArg:
		// Block until killed; the parent only needs our user namespace.
		select {}
	}
	return false
}

// Exit codes of the executor follow systemd's for the same failures, so
// that status output reads the same.
const (
	exitExec       = 203
	exitNamespace  = 226
	exitUser       = 217
	exitNoNewPriv  = 227
	exitCaps       = 218
	exitNetwork    = 225
	exitChdir      = 200
	exitSeccomp    = 228
	exitKeyring    = 237
	exitCgroup     = 219
	exitOOMAdjust  = 206
	exitLandlock   = 1
	exitFDs        = 202
	exitSignalMask = 207
)

type stepError struct {
	code     int
	err      error
	spawning string // the program, once known
	unit     string // the unit's name, once known
}

// describe is the failure as systemd words it in the line before "Failed
// at step", where it has words of its own for the step.
func (e *stepError) describe() string {
	switch e.code {
	case exitExec:
		return fmt.Sprintf("Unable to locate executable '%s': %s", e.spawning, errnoText(e.err))
	case exitChdir:
		return "Changing to the requested working directory failed: " + errnoText(e.err)
	}
	var w *wordedError
	if errors.As(e.err, &w) {
		return w.words
	}
	return "executor: " + e.err.Error()
}

// errnoText is the error number's description as strerror words it ("No
// such file or directory").
func errnoText(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	t := errno.Error()
	if t == "" {
		return t
	}
	return strings.ToUpper(t[:1]) + t[1:]
}

func (e *stepError) Error() string { return e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var se *stepError
	if errors.As(err, &se) {
		return se.code
	}
	return 1
}

func step(code int, err error) error {
	if err == nil {
		return nil
	}
	return &stepError{code: code, err: err}
}

func runExecutor(contextFD int) (err error) {
	var path, unitName string
	reportFD := -1
	defer func() {
		if se, ok := err.(*stepError); ok {
			se.spawning, se.unit = path, unitName
		}
		if err != nil && reportFD >= 0 {
			// The exec failed: tell the manager before exiting.
			unix.Write(reportFD, []byte{byte(exitCode(err))})
		}
	}()
	// prctl and exec must happen on the same thread, and the mount
	// namespace set-up relies on a stable current directory.
	runtime.LockOSThread()
	f := os.NewFile(uintptr(contextFD), "exec-context")
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("read exec context: %w", err)
	}
	var c Context
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("decode exec context: %w", err)
	}
	if c.ExecReportFD > 0 {
		// Closed by a successful exec: the manager reads end of file.
		reportFD = c.ExecReportFD
		syscall.CloseOnExec(reportFD)
	}
	path, unitName = c.Path, c.Unit
	if path == "" && len(c.Argv) > 0 {
		path = c.Argv[0]
	}
	for _, procs := range c.JoinCgroups {
		if err := os.WriteFile(procs, []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
			return step(exitCgroup, fmt.Errorf("join cgroup %s: %w", filepath.Dir(procs), err))
		}
	}
	attrs := c.Attrs
	if attrs == nil {
		attrs = &Attrs{}
	}
	if err := socketStdio(&c, attrs.Stdio); err != nil {
		return err
	}
	var stdio *openedStdio
	if attrs.Stdio != nil {
		// In the host's view of the file system, before the sandbox, as
		// systemd opens them, but as the unit's user.
		var creds *fsCreds
		if c.SetCreds {
			creds = &fsCreds{uid: c.UID, gid: c.GID, groups: c.Groups}
		}
		if stdio, err = openStdio(attrs.Stdio, attrs.UMask, creds); err != nil {
			return err
		}
	}
	if c.OOMScoreAdjust != nil {
		// While still privileged: lowering the score needs
		// CAP_SYS_RESOURCE. Where that is missing, systemd goes on
		// ("assuming containerized execution"), and so does this, also
		// where /proc is read-only (in a capsule, whose manager warns
		// about it when it loads the unit).
		err := os.WriteFile("/proc/self/oom_score_adj", []byte(strconv.Itoa(*c.OOMScoreAdjust)), 0)
		if err != nil && !errors.Is(err, fs.ErrPermission) && !errors.Is(err, syscall.EROFS) {
			return step(exitOOMAdjust, fmt.Errorf("set OOM score adjustment: %w", err))
		}
	}
	if err := applyAttrs(attrs); err != nil {
		return err
	}
	if c.IPCNamespaceFD > 0 {
		// Before anything else that depends on the namespace; the fd is
		// not the command's.
		err := unix.Setns(c.IPCNamespaceFD, unix.CLONE_NEWIPC)
		unix.Close(c.IPCNamespaceFD)
		if err != nil {
			return step(exitNamespace, fmt.Errorf("join IPC namespace: %w", err))
		}
	}
	if c.NetNamespaceFD > 0 {
		err := unix.Setns(c.NetNamespaceFD, unix.CLONE_NEWNET)
		unix.Close(c.NetNamespaceFD)
		if err != nil {
			return step(exitNetwork, fmt.Errorf("join network namespace: %w", err))
		}
	}
	if !filepath.IsAbs(path) {
		// The manager found no such program in its search path.
		return step(exitExec, fmt.Errorf("unable to locate executable '%s': %w", path, syscall.ENOENT))
	}
	// Pin the program before the file system changes: it may live where
	// the sandbox hides things (a binary under /tmp, say).
	progFD, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return step(exitExec, fmt.Errorf("open %s: %w", path, err))
	}
	if c.Mounts != nil {
		if err := step(exitNamespace, setupMounts(c.Mounts)); err != nil {
			return fmt.Errorf("set up mount namespace: %w", err)
		}
	}
	if c.Keyring != "" {
		// Before the credentials change: the keyring is made as the
		// unit's user, the invocation ID key as root.
		uid := -1
		if c.SetCreds {
			uid = int(c.UID)
		}
		if err := keyring.Setup(keyring.Mode(c.Keyring), uid, int(c.GID), c.InvocationID); err != nil {
			return step(exitKeyring, fmt.Errorf("set up kernel keyring: %w", err))
		}
	}
	if c.Caps != nil && c.Caps.Bounding != nil {
		// While the executor still has CAP_SETPCAP: in a capsule it has
		// none and fails here, as systemd's user manager does.
		if err := dropBounding(*c.Caps.Bounding); err != nil {
			return step(exitCaps, err)
		}
	}
	if c.Caps != nil && c.Caps.Ambient != 0 {
		if c.SetCreds && c.UID != 0 {
			// The permitted set survives the UID change only so.
			if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
				return step(exitCaps, fmt.Errorf("keep capabilities: %w", err))
			}
		}
		if err := raiseAmbient(c.Caps.Ambient, false); err != nil {
			return step(exitCaps, fmt.Errorf("apply ambient capabilities (before UID change): %w", err))
		}
	}
	if c.SetCreds {
		groups := make([]int, len(c.Groups))
		for i, g := range c.Groups {
			groups[i] = int(g)
		}
		if err := syscall.Setgroups(groups); err != nil {
			return step(exitUser, fmt.Errorf("setgroups: %w", err))
		}
		if err := syscall.Setresgid(int(c.GID), int(c.GID), int(c.GID)); err != nil {
			return step(exitUser, fmt.Errorf("setresgid %d: %w", c.GID, err))
		}
		if err := syscall.Setresuid(int(c.UID), int(c.UID), int(c.UID)); err != nil {
			return step(exitUser, fmt.Errorf("setresuid %d: %w", c.UID, err))
		}
	}
	if c.Caps != nil && c.Caps.Ambient != 0 && c.SetCreds && c.UID != 0 {
		if err := raiseAmbient(c.Caps.Ambient, true); err != nil {
			return step(exitCaps, fmt.Errorf("apply ambient capabilities (after UID change): %w", err))
		}
	}
	if c.NoNewPrivs {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return step(exitNoNewPriv, fmt.Errorf("set no_new_privs: %w", err))
		}
	}
	if c.ScopeLandlock {
		// After no_new_privs, which it needs once the credentials are
		// dropped, and before the seccomp filter. systemd has no step
		// (and exit code) of its own for this.
		if err := scopeLandlock(); err != nil {
			return step(exitLandlock, fmt.Errorf("set up Landlock scope: %w", err))
		}
	}
	if r := (restrictions{suidSGID: c.RestrictSUIDSGID, namespaces: c.RestrictNamespaces, keyUpcalls: c.RefuseKeyUpcalls}); r != (restrictions{}) {
		if err := r.install(); err != nil {
			return step(exitSeccomp, fmt.Errorf("install seccomp filter: %w", err))
		}
	}
	if c.Dir != "" {
		if err := os.Chdir(c.Dir); err != nil {
			if !attrs.DirMissingOK {
				return step(exitChdir, fmt.Errorf("change to the requested working directory: %w", err))
			}
			if err := os.Chdir("/"); err != nil {
				return step(exitChdir, fmt.Errorf("change directory to /: %w", err))
			}
		}
	}
	// SYSTEMD_EXEC_PID is the command's own PID, which only it knows.
	env := append(c.Env[:len(c.Env):len(c.Env)], "SYSTEMD_EXEC_PID="+strconv.Itoa(os.Getpid()))
	// The passed sockets get O_NONBLOCK as NonBlocking= says, either way
	// (the manager keeps its own listeners non-blocking until passed).
	for fd := 3; fd < 3+c.ListenFDs; fd++ {
		if err := unix.SetNonblock(fd, c.NonBlocking); err != nil {
			return step(exitFDs, fmt.Errorf("set O_NONBLOCK on socket fd %d: %w", fd, err))
		}
	}
	if c.ListenFDs > 0 {
		env = append(env, "LISTEN_FDS="+strconv.Itoa(c.ListenFDs),
			"LISTEN_PID="+strconv.Itoa(os.Getpid()))
		if len(c.FDNames) > 0 {
			env = append(env, "LISTEN_FDNAMES="+strings.Join(c.FDNames, ":"))
		}
	}
	if attrs.UMask != nil {
		syscall.Umask(int(*attrs.UMask))
	}
	undo := func() {}
	if stdio != nil {
		if undo, err = stdio.install(); err != nil {
			undo()
			return err
		}
	}
	_, serr := os.Stat(path)
	if c.Syscalls != nil && c.Syscalls.DenyWriteExecute && denyWriteExecute() == nil {
		// The kernel refuses writable and executable memory itself
		// (EACCES, as under systemd 257); the filter's rules are the
		// fallback for kernels before 6.3.
		c.Syscalls.DenyWriteExecute = false
	}
	if c.Syscalls != nil {
		// Last, right before the exec: an allow-list may refuse what
		// the steps above need.
		filter, err := c.Syscalls.filterFor()
		if err == nil {
			err = installThread(filter)
		}
		if err != nil {
			undo()
			return step(exitSeccomp, err)
		}
	}
	if err := resetIgnoredSignals(); err != nil {
		undo()
		return step(exitSignalMask, fmt.Errorf("reset signals: %w", err))
	}
	if !c.KeepSIGPIPE {
		// An ignored signal stays ignored across execve; Go's own
		// handler would be reset to the default.
		signal.Ignore(syscall.SIGPIPE)
	}
	if serr == nil {
		err = syscall.Exec(path, c.Argv, env)
	} else {
		err = execveat(progFD, c.Argv, env)
	}
	undo()
	return step(exitExec, fmt.Errorf("execute %s: %w", path, err))
}

// execveat runs the program behind fd (execveat with AT_EMPTY_PATH).
func execveat(fd int, argv, env []string) error {
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return err
	}
	envp, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return err
	}
	empty, err := syscall.BytePtrFromString("")
	if err != nil {
		return err
	}
	_, _, errno := syscall.Syscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(empty)),
		uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envp[0])), unix.AT_EMPTY_PATH, 0)
	return errno
}

// defaultPipeSize is what a new pipe holds.
const defaultPipeSize = 64 * 1024

// fitPipe grows the pipe w so that n bytes written to it do not block.
func fitPipe(w *os.File, n int) error {
	if n <= defaultPipeSize-4096 {
		return nil
	}
	raw, err := w.SyscallConn()
	if err != nil {
		return fmt.Errorf("exec context pipe: %w", err)
	}
	size := defaultPipeSize
	for size < n {
		size *= 2
	}
	var got int
	var serr error
	if err := raw.Control(func(fd uintptr) {
		got, serr = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, size)
	}); err != nil {
		return fmt.Errorf("exec context pipe: %w", err)
	}
	if serr != nil || got < n {
		return fmt.Errorf("exec context too large (%d bytes, more than a pipe takes: see /proc/sys/fs/pipe-max-size): %v", n, serr)
	}
	return nil
}
