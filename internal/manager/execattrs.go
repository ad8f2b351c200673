package manager

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/executor"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// execAttrs turns u's process attributes into the executor's; nil when
// the process needs none of them, so it can be started without the
// executor. input is the standard input the manager passes (StandardInput
// data), nil for /dev/null.
func (m *Manager) execAttrs(u *Unit, stdio bool) (a *executor.Attrs, input *os.File, err error) {
	s := u.svc
	a = &executor.Attrs{DirMissingOK: s.WorkingDirMissingOK, Nice: s.Nice, CPUAffinity: s.CPUAffinity}
	if s.UMask != managerUMask() {
		mask := s.UMask
		a.UMask = &mask
	}
	for res, l := range s.Limits {
		a.Rlimits = append(a.Rlimits, executor.Rlimit{Resource: res, Cur: l.Cur, Max: l.Max})
	}
	if s.CPUSchedPolicy != nil {
		a.Sched = &executor.Sched{Policy: *s.CPUSchedPolicy, Priority: s.CPUSchedPriority, ResetOnFork: s.CPUSchedResetOnFork}
	}
	if s.IOSchedClass != nil {
		v := *s.IOSchedClass<<13 | s.IOSchedPriority
		a.IOPrio = &v
	}
	if stdio {
		a.Stdio, input, err = m.stdioPlan(u)
		if err != nil {
			return nil, nil, err
		}
	}
	if !a.DirMissingOK && a.UMask == nil && a.Nice == nil && len(a.Rlimits) == 0 && a.Sched == nil &&
		a.IOPrio == nil && len(a.CPUAffinity) == 0 && a.Stdio == nil {
		return nil, input, nil
	}
	return a, input, nil
}

// stdioPlan is where u's standard streams go: nil keeps /dev/null (or
// input) on standard input and the unit's log on both outputs.
func (m *Manager) stdioPlan(u *Unit) (*executor.Stdio, *os.File, error) {
	s := u.svc
	var st executor.Stdio
	var input *os.File
	switch in := s.StandardInput; {
	case in == "data":
		f, err := dataInput(s.StandardInputData)
		if err != nil {
			return nil, nil, err
		}
		input = f
	case strings.HasPrefix(in, "file:"):
		st.In = executor.Stream{Kind: "file", Path: in[len("file:"):]}
	case strings.HasPrefix(in, "tty"):
		st.In = executor.Stream{Kind: "tty", Path: s.TTYPath, Force: in == "tty-force"}
	case in == "socket":
		st.In = executor.Stream{Kind: "socket"}
	}
	st.Out = m.outputStream(s.StandardOutput, s, st.In.Kind, false)
	st.Err = m.outputStream(s.StandardError, s, st.Out.Kind, true)
	if st == (executor.Stdio{}) {
		return nil, input, nil
	}
	return &st, input, nil
}

// outputStream is StandardOutput= or StandardError= as a stream; prev is
// the kind of the stream before it, which "inherit" duplicates.
func (m *Manager) outputStream(v string, s *unitconf.Service, prev string, isErr bool) executor.Stream {
	switch {
	case v == "null":
		return executor.Stream{Kind: "null"}
	case v == "tty":
		return executor.Stream{Kind: "tty", Path: s.TTYPath}
	case v == "socket":
		return executor.Stream{Kind: "socket"}
	case v == "inherit":
		switch {
		case prev != "" && prev != "null":
			return executor.Stream{Kind: "inherit"}
		case prev == "null" || (!isErr && m.cfg.Mode == System):
			// Standard input of /dev/null (or data) gives /dev/null,
			// as systemd's PID 1 does; its user manager keeps its own
			// output, here the unit's log.
			return executor.Stream{Kind: "null"}
		}
		return executor.Stream{}
	}
	for _, k := range []string{"file", "append", "truncate"} {
		if p, ok := strings.CutPrefix(v, k+":"); ok {
			return executor.Stream{Kind: k, Path: p}
		}
	}
	return executor.Stream{} // journal: the unit's log
}

// dataInput is a memory file holding data, read from its start.
func dataInput(data []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate("stdin-data", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("standard input data: %w", err)
	}
	f := os.NewFile(uintptr(fd), "stdin-data")
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("standard input data: %w", err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("standard input data: %w", err)
	}
	// Sealed, so the unit cannot change what a later process reads.
	unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, unix.F_SEAL_WRITE|unix.F_SEAL_GROW|unix.F_SEAL_SHRINK|unix.F_SEAL_SEAL)
	return f, nil
}

// managerUMask is this process's umask, which a process started without
// the executor inherits.
func managerUMask() uint32 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0o022
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Umask:"); ok {
			if n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
				return uint32(n)
			}
		}
	}
	return 0o022
}
