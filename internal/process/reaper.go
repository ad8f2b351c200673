package process

import (
	"bytes"
	"fmt"
	"os"
	osexec "os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// reaper collects orphans. The manager is a child subreaper, so processes
// that daemonized inside a unit are re-parented to it instead of to PID 1
// (which, in a container, may never reap them). Our own direct children are
// reaped by exec.Cmd.Wait; the reaper must leave those alone.
type reaper struct {
	// gate is held shared while a child is started and registered, and
	// exclusively while reaping, so a child that dies at once is never
	// mistaken for an orphan.
	gate    sync.RWMutex
	mu      sync.Mutex // guards tracked
	tracked map[int]bool
}

func newReaper() *reaper { return &reaper{tracked: map[int]bool{}} }

// start makes this process a subreaper and reaps on every SIGCHLD.
func (r *reaper) start() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return err
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGCHLD)
	go func() {
		for range ch {
			r.reap()
		}
	}()
	return nil
}

// spawn runs start (which forks) and registers the child it returns.
func (r *reaper) spawn(start func() (int, error)) error {
	r.gate.RLock()
	defer r.gate.RUnlock()
	pid, err := start()
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.tracked[pid] = true
	r.mu.Unlock()
	return nil
}

// forget is called once a registered child has been waited for.
func (r *reaper) forget(pid int) {
	r.mu.Lock()
	delete(r.tracked, pid)
	r.mu.Unlock()
}

// reap waits for every exited child that nobody else waits for.
func (r *reaper) reap() {
	r.gate.Lock()
	defer r.gate.Unlock()
	for _, pid := range children() {
		r.mu.Lock()
		mine := r.tracked[pid]
		r.mu.Unlock()
		if mine {
			continue
		}
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	}
}

// children lists the children of all our threads.
func children() []int {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil
	}
	var pids []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// output runs a short-lived helper program (getent, id) to its end and
// returns its standard output. The child is registered like a unit's
// process: an unregistered child that exits while another SIGCHLD is
// handled would be reaped as an orphan, and its own Wait would then fail
// with ECHILD.
func (r *reaper) output(name string, args ...string) ([]byte, error) {
	cmd := osexec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	err := r.spawn(func() (int, error) {
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	})
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", name, err)
	}
	err = cmd.Wait()
	r.forget(cmd.Process.Pid)
	if err != nil {
		return out.Bytes(), fmt.Errorf("run %s: %w", name, err)
	}
	return out.Bytes(), nil
}
