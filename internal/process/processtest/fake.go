// Package processtest provides a Spawner that starts no process, so the
// engine can be tested without root and without real processes: a test
// receives every "started" process and decides when and how it ends.
package processtest

import (
	"errors"
	"sync"
	"syscall"

	"github.com/capsuled/capsuled/internal/process"
)

// firstPID is far above any pid_max (at most 2^22), so a fake PID that
// reached kill(2) by mistake would hit no real process.
const firstPID = 1 << 30

// Fake is a process.Spawner that records what it is asked to start.
type Fake struct {
	// Spawned receives every started process, in order. It is buffered;
	// a test that never reads it must start fewer than its capacity.
	Spawned chan *Proc
	// Fail, if set, makes Spawn fail with its result for the specs it
	// returns an error for.
	Fail func(spec *process.Spec) error

	mu      sync.Mutex
	nextPID int
	procs   []*Proc
}

// Proc is one process started by a Fake.
type Proc struct {
	*process.Process
	Spec *process.Spec

	mu      sync.Mutex
	signals []syscall.Signal
}

// New returns a Fake whose Spawned channel holds up to 1,024 processes.
func New() *Fake { return &Fake{Spawned: make(chan *Proc, 1024), nextPID: firstPID} }

// Spawn records spec and returns a running process that ends only when
// the test calls Exit (or one of its shorthands).
func (f *Fake) Spawn(spec *process.Spec) (*process.Process, error) {
	if len(spec.Argv) == 0 {
		return nil, errors.New("empty command line")
	}
	if f.Fail != nil {
		if err := f.Fail(spec); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	pid := f.nextPID
	f.nextPID++
	f.mu.Unlock()
	p := &Proc{Spec: spec}
	p.Process = process.New(pid, spec.Argv[0], p.record)
	f.mu.Lock()
	f.procs = append(f.procs, p)
	f.mu.Unlock()
	f.Spawned <- p
	return p.Process, nil
}

// Supervise does nothing: there are no orphans.
func (f *Fake) Supervise() error { return nil }

// Reap does nothing: there are no orphans.
func (f *Fake) Reap() {}

// Output refuses: a fake runs no helper program.
func (f *Fake) Output(name string, args ...string) ([]byte, error) {
	return nil, errors.New("the fake spawner runs no program: " + name)
}

// Procs returns every process started so far.
func (f *Fake) Procs() []*Proc {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*Proc(nil), f.procs...)
}

func (p *Proc) record(sig syscall.Signal) error {
	p.mu.Lock()
	p.signals = append(p.signals, sig)
	p.mu.Unlock()
	return nil
}

// Signals returns the signals sent to the process through its handle.
func (p *Proc) Signals() []syscall.Signal {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]syscall.Signal(nil), p.signals...)
}

// ExitCode ends the process as if it had called exit(code).
func (p *Proc) ExitCode(code int) { p.Exit(syscall.WaitStatus(code&0xff) << 8) }

// Kill ends the process as if sig had killed it.
func (p *Proc) Kill(sig syscall.Signal) { p.Exit(syscall.WaitStatus(sig & 0x7f)) }
