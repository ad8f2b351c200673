package process

import (
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"syscall"

	"github.com/capsuled/capsuled/internal/executor"
	"github.com/capsuled/capsuled/internal/logstore"
)

// Local starts real processes on this host.
type Local struct {
	exe    string // the manager binary, re-executed as executor
	reaper *reaper
}

// NewLocal returns a spawner that re-executes exe as the executor.
func NewLocal(exe string) *Local { return &Local{exe: exe, reaper: newReaper()} }

// Supervise makes this process a child subreaper and reaps orphans on
// every SIGCHLD.
func (l *Local) Supervise() error {
	if err := l.reaper.start(); err != nil {
		return fmt.Errorf("become child subreaper: %w", err)
	}
	return nil
}

// Reap collects exited orphans.
func (l *Local) Reap() { l.reaper.reap() }

// Output runs name to its end and returns its standard output.
func (l *Local) Output(name string, args ...string) ([]byte, error) {
	return l.reaper.output(name, args...)
}

// Spawn starts spec's process inside its cgroup.
func (l *Local) Spawn(spec *Spec) (*Process, error) {
	if len(spec.Argv) == 0 {
		return nil, errors.New("empty command line")
	}
	cgfd, err := os.OpenFile(spec.Cgroup, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, fmt.Errorf("open cgroup: %w", err)
	}
	defer cgfd.Close()

	stdin, stdout, stderr := spec.Stdin, spec.Stdout, spec.Stderr
	var toClose []*os.File
	defer func() {
		for _, f := range toClose {
			f.Close()
		}
	}()
	var logR *os.File
	if stdin == nil || stdout == nil || stderr == nil {
		null, err := os.Open(os.DevNull)
		if err != nil {
			return nil, err
		}
		// os.Pipe's ends are non-blocking and read in the poller, so a
		// unit's output costs no thread.
		r, w, err := os.Pipe()
		if err != nil {
			null.Close()
			return nil, err
		}
		stdin, stdout, stderr, logR = null, w, w, r
		toClose = append(toClose, null, w)
		if spec.Input != nil {
			stdin = spec.Input
		}
	}
	closeLog := func() {
		if logR != nil {
			logR.Close()
		}
	}

	attr := &syscall.SysProcAttr{Setsid: true, UseCgroupFD: true, CgroupFD: int(cgfd.Fd())}
	ec := spec.Executor
	// Go starts a child inside a cgroup with clone3, which a
	// RestrictNamespaces= filter on this manager (a capsule's) refuses;
	// then the executor moves itself into the cgroup before the command
	// runs.
	intoCgroup := executor.CanClone3()
	if ec == nil && !intoCgroup {
		ec = &executor.Context{}
	}
	var cmd *osexec.Cmd
	var report *os.File // read end of the exec report pipe
	var held *os.File
	if ec != nil {
		c := *ec
		c.Path, c.Argv, c.Env, c.Dir = spec.Path, spec.Argv, spec.Env, spec.Dir
		c.ListenFDs = len(spec.Listen)
		if spec.ExecReport {
			r, w, err := os.Pipe()
			if err != nil {
				closeLog()
				return nil, fmt.Errorf("exec report pipe: %w", err)
			}
			report, c.ExecReport = r, w
			toClose = append(toClose, w)
		}
		if !intoCgroup {
			c.JoinCgroups = append([]string{filepath.Join(spec.Cgroup, "cgroup.procs")}, c.JoinCgroups...)
			attr.UseCgroupFD = false
		}
		if intoCgroup {
			cmd, err = executor.Command(l.exe, &c, spec.Listen...)
		} else {
			// The executor waits for its context until held is closed,
			// once the process is moved below: a move after the command
			// ran would undo one the command made itself.
			cmd, held, err = executor.CommandHeld(l.exe, &c, spec.Listen...)
			if held != nil {
				toClose = append(toClose, held)
			}
		}
		if err != nil {
			closeLog()
			closeFile(report)
			return nil, err
		}
		// Only the context pipe is ours to close; the sockets and the IPC
		// namespace belong to the caller.
		toClose = append(toClose, cmd.ExtraFiles[len(cmd.ExtraFiles)-1])
		attr.Cloneflags = spec.Cloneflags
	} else {
		if len(spec.Listen) > 0 || spec.Cloneflags != 0 || spec.ExecReport {
			closeLog()
			return nil, errors.New("sockets, namespaces and exec reports are passed only through the executor")
		}
		cmd = &osexec.Cmd{Path: spec.Path, Args: spec.Argv, Env: spec.Env, Dir: spec.Dir}
	}
	if spec.TTY {
		attr.Setctty, attr.Ctty = true, 0
	}
	cmd.SysProcAttr = attr
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	err = l.reaper.spawn(func() (int, error) {
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	})
	if err != nil {
		closeLog()
		closeFile(report)
		return nil, fmt.Errorf("execute %s: %w", spec.Path, err)
	}
	pid := cmd.Process.Pid
	if !intoCgroup {
		// The executor joins the cgroup itself before anything runs, but
		// only once it is scheduled; a stop right now would look for it
		// there in vain. Moving it from here closes that window.
		if err := joinCgroupFD(cgfd, pid); err != nil && !errors.Is(err, syscall.ESRCH) && spec.Warn != nil {
			spec.Warn(err)
		}
		held.Close()
	}
	c, err := watchChild(cmd.Process)
	if err != nil {
		closeLog()
		closeFile(report)
		return nil, err
	}
	p := New(pid, filepath.Base(spec.Argv[0]), c.signal)
	if report != nil {
		p.execed = readExecReport(report)
	}
	if logR != nil {
		out := spec.Output
		go func() {
			defer logR.Close()
			add := func([]string) {}
			if out != nil {
				add = func(lines []string) { out(pid, lines) }
			}
			logstore.CopyLimited(logR, add, spec.Limiter)
		}()
	}
	go func() {
		ws, err := c.wait(spec.BeforeReap)
		l.reaper.forget(pid)
		if err != nil {
			ws = 0
		}
		p.Exit(ws)
	}()
	return p, nil
}

// joinCgroupFD moves process pid into the cgroup open at dir.
func joinCgroupFD(dir *os.File, pid int) error {
	fd, err := syscall.Openat(int(dir.Fd()), "cgroup.procs", syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s/cgroup.procs: %w", dir.Name(), err)
	}
	defer syscall.Close(fd)
	if _, err := syscall.Write(fd, []byte(fmt.Sprint(pid))); err != nil {
		return fmt.Errorf("move %d to %s: %w", pid, dir.Name(), err)
	}
	return nil
}

// readExecReport reads the executor's exec report in the background: end
// of file with nothing written means the command's execve() succeeded.
func readExecReport(r *os.File) <-chan bool {
	ch := make(chan bool, 1)
	go func() {
		defer r.Close()
		var b [1]byte
		n, _ := r.Read(b[:])
		ch <- n == 0
	}()
	return ch
}

func closeFile(f *os.File) {
	if f != nil {
		f.Close()
	}
}
