// Package process starts the processes of units and tells when they end.
// The engine sees only the Spawner interface and Process handles, so it can
// be driven by a fake that starts nothing; Local is the real one. Children
// are reaped without an OS thread each: exits are read from pidfds in the
// runtime's poller, and orphans by one SIGCHLD loop.
package process

import (
	"os"
	"sync"
	"syscall"

	"github.com/capsuled/capsuled/internal/executor"
	"github.com/capsuled/capsuled/internal/logstore"
)

// Spawner starts unit processes and collects what they leave behind.
type Spawner interface {
	// Spawn starts one process as spec says and returns its handle.
	Spawn(spec *Spec) (*Process, error)
	// Supervise makes the caller the reaper of processes orphaned below
	// it and reaps them as they exit. A manager calls it once, when it
	// starts serving.
	Supervise() error
	// Reap collects exited orphans now, for example right after a
	// cgroup was killed.
	Reap()
	// Output runs a short helper program (getent) to its end and returns
	// its standard output.
	Output(name string, args ...string) ([]byte, error)
}

// Spec is one process to start.
type Spec struct {
	Path string   // absolute path of the program
	Argv []string // argv[0] included
	Env  []string
	Dir  string
	// Cgroup is the directory of the cgroup2 group the process starts in.
	Cgroup string
	// Executor, if set, starts the program through the re-executed
	// manager binary, which builds the sandbox the context describes
	// before it executes Path; its Path, Argv, Env and Dir are taken from
	// the Spec. Listen and IPC namespaces are passed only this way.
	Executor *executor.Context
	// Listen are the sockets passed at fd 3 and up (socket activation).
	Listen []*os.File
	// Cloneflags are namespaces the process starts in (CLONE_NEWNS,
	// CLONE_NEWIPC); only with Executor.
	Cloneflags uintptr
	// Stdin, Stdout and Stderr are used as given when all are set; the
	// spawner does not close them. Otherwise standard input is /dev/null
	// and both outputs go, line by line, to Output.
	Stdin, Stdout, Stderr *os.File
	// Input, when the three above are not all set, is standard input
	// instead of /dev/null; the spawner does not close it.
	Input *os.File
	// TTY makes Stdin the controlling terminal.
	TTY bool
	// Output receives the lines the process writes, paced by Limiter
	// (nil: unpaced), all those of one read at once; it must not keep
	// the slice. Nil discards them.
	Output  func(pid int, lines []string)
	Limiter *logstore.Limiter
	// Warn, if set, receives problems that did not stop the start.
	Warn func(error)
	// BeforeReap, if set, runs once the process has exited and before it
	// is reaped, while its PID cannot be taken by another process: a
	// manager reads the messages it left in a notify socket then, and
	// still knows their sender.
	BeforeReap func()
	// ExecReport asks for Process.Execed: whether the command's execve()
	// succeeded (Type=exec). It needs Executor.
	ExecReport bool
}

// Process is the handle of one started process.
type Process struct {
	PID  int
	Comm string // name shown in its log lines

	exited chan struct{}
	once   sync.Once
	status syscall.WaitStatus
	signal func(syscall.Signal) error

	execed <-chan bool // Spec.ExecReport's answer; nil if not asked

	mu     sync.Mutex
	onExit []func() // run once it has exited; nil after Exit
	ended  bool
}

// New returns the handle of a running process; signal delivers a signal
// to it. Spawners call it.
func New(pid int, comm string, signal func(syscall.Signal) error) *Process {
	return &Process{PID: pid, Comm: comm, exited: make(chan struct{}), signal: signal}
}

// Execed, for a process spawned with Spec.ExecReport, delivers once
// whether its command's execve() succeeded. It is nil otherwise.
func (p *Process) Execed() <-chan bool { return p.execed }

// Exit records how the process ended and wakes those waiting for it. Only
// the first call counts. Spawners call it.
func (p *Process) Exit(ws syscall.WaitStatus) {
	p.once.Do(func() {
		p.status = ws
		close(p.exited)
		p.mu.Lock()
		fs := p.onExit
		p.onExit, p.ended = nil, true
		p.mu.Unlock()
		for _, f := range fs {
			go f()
		}
	})
}

// AfterExit runs f in a goroutine of its own once the process has ended
// (at once if it has). Unlike a goroutine waiting on Exited, nothing is
// kept for it while the process runs but the function itself, which
// matters for a manager with hundreds of long-running services.
func (p *Process) AfterExit(f func()) {
	p.mu.Lock()
	if !p.ended {
		p.onExit = append(p.onExit, f)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	go f()
}

// Exited is closed once the process has ended.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// HasExited reports whether the process has ended.
func (p *Process) HasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Status is how the process ended; it is valid once Exited is closed.
func (p *Process) Status() syscall.WaitStatus {
	if !p.HasExited() {
		return 0
	}
	return p.status
}

// Signal sends sig to the process unless it has ended.
func (p *Process) Signal(sig syscall.Signal) error {
	if p.HasExited() || p.signal == nil {
		return nil
	}
	return p.signal(sig)
}
