package executor

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Attrs are process attributes of systemd.exec(5) applied before exec.
type Attrs struct {
	// DirMissingOK: a working directory that cannot be entered leaves
	// the process in / (WorkingDirectory=-PATH).
	DirMissingOK bool     `json:"dirMissingOK,omitempty"`
	UMask        *uint32  `json:"umask,omitempty"`
	Nice         *int     `json:"nice,omitempty"`
	Rlimits      []Rlimit `json:"rlimits,omitempty"`
	Sched        *Sched   `json:"sched,omitempty"`
	// IOPrio is the ioprio_set(2) value (class << 13 | level).
	IOPrio      *int   `json:"ioprio,omitempty"`
	CPUAffinity []int  `json:"cpuAffinity,omitempty"`
	Stdio       *Stdio `json:"stdio,omitempty"`
}

// Rlimit is one resource limit to set (RLIMIT_* number).
type Rlimit struct {
	Resource int    `json:"resource"`
	Cur      uint64 `json:"cur"`
	Max      uint64 `json:"max"`
}

// Sched is a CPU scheduling policy (SCHED_*) and priority.
type Sched struct {
	Policy      int  `json:"policy"`
	Priority    int  `json:"priority"`
	ResetOnFork bool `json:"resetOnFork,omitempty"`
}

// Exit statuses of the attribute steps, systemd's.
const (
	exitNice     = 201
	exitLimits   = 205
	exitIOPrio   = 211
	exitSchedule = 214
	exitAffinity = 215
)

// applyAttrs sets what needs privileges (raising limits, lowering nice,
// realtime scheduling) while the executor still has them. Like systemd's
// executor, a nice level or limit beyond what the process may set is
// brought to the closest one it may, and a refused scheduling policy fails
// the start.
func applyAttrs(a *Attrs) error {
	if a.Nice != nil {
		if err := setNiceClosest(*a.Nice); err != nil {
			return step(exitNice, fmt.Errorf("set nice level %d: %w", *a.Nice, err))
		}
	}
	if s := a.Sched; s != nil {
		policy := s.Policy
		if s.ResetOnFork {
			policy |= unix.SCHED_RESET_ON_FORK
		}
		prio := int32(s.Priority)
		if _, _, e := syscall.RawSyscall(unix.SYS_SCHED_SETSCHEDULER, 0, uintptr(policy), uintptr(unsafe.Pointer(&prio))); e != 0 {
			return step(exitSchedule, fmt.Errorf("set up CPU scheduling: %w", e))
		}
	}
	if len(a.CPUAffinity) > 0 {
		var set unix.CPUSet
		for _, c := range a.CPUAffinity {
			set.Set(c)
		}
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			return step(exitAffinity, fmt.Errorf("set up CPU affinity: %w", err))
		}
	}
	if a.IOPrio != nil {
		const ioprioWhoProcess = 1
		if _, _, e := syscall.RawSyscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, 0, uintptr(*a.IOPrio)); e != 0 {
			return step(exitIOPrio, fmt.Errorf("set up IO scheduling priority: %w", e))
		}
	}
	for _, r := range a.Rlimits {
		if err := setRlimitClosest(r); err != nil {
			return step(exitLimits, fmt.Errorf("adjust resource limit %d: %w", r.Resource, err))
		}
	}
	return nil
}

// setNiceClosest sets the nice level n, or, when lowering it that far is
// not allowed, the lowest level RLIMIT_NICE allows.
func setNiceClosest(n int) error {
	err := unix.Setpriority(unix.PRIO_PROCESS, 0, n)
	if err == nil || !isPrivilege(err) {
		return err
	}
	// The raw system call returns 20 - nice.
	raw, gerr := unix.Getpriority(unix.PRIO_PROCESS, 0)
	if gerr != nil {
		return gerr
	}
	cur := 20 - raw
	if n >= cur {
		// Raising one's own nice level is always allowed; if it was
		// refused, the call is blocked altogether.
		if n == cur {
			return nil
		}
		return err
	}
	var lim unix.Rlimit
	if gerr := unix.Getrlimit(unix.RLIMIT_NICE, &lim); gerr != nil {
		return gerr
	}
	lowest := 19
	switch {
	case lim.Cur >= 40:
		lowest = -20
	case lim.Cur > 1:
		lowest = 20 - int(lim.Cur)
	}
	if cur <= lowest {
		return nil // already as low as allowed
	}
	return unix.Setpriority(unix.PRIO_PROCESS, 0, lowest)
}

// setRlimitClosest sets r, or, where raising the hard limit is not
// allowed, keeps the current hard limit and the soft one below it.
// syscall.Setrlimit, unlike x/sys, tells the runtime not to restore its
// saved RLIMIT_NOFILE at exec.
func setRlimitClosest(r Rlimit) error {
	want := syscall.Rlimit{Cur: r.Cur, Max: r.Max}
	err := syscall.Setrlimit(r.Resource, &want)
	if err == nil || !isPrivilege(err) {
		return err
	}
	var cur syscall.Rlimit
	if gerr := syscall.Getrlimit(r.Resource, &cur); gerr != nil {
		return gerr
	}
	want.Max = min(want.Max, cur.Max)
	want.Cur = min(want.Cur, want.Max)
	return syscall.Setrlimit(r.Resource, &want)
}

func isPrivilege(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES)
}
