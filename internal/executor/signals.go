package executor

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelSigaction is struct sigaction as rt_sigaction(2) takes it on
// amd64 and arm64.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// sigIgn is SIG_IGN; SIG_DFL is 0.
const sigIgn = 1

// resetIgnoredSignals gives every signal the manager was started with
// ignored (an ignored signal stays ignored across execve, and Go keeps
// what it found ignored) its default action, as systemd resets all
// signals before it executes a command. Only ignored ones are touched:
// the runtime's handlers are reset by the exec itself.
func resetIgnoredSignals() error {
	for sig := 1; sig <= 64; sig++ {
		if sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) {
			continue
		}
		var old kernelSigaction
		if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0); e != 0 {
			continue // not a signal this kernel knows
		}
		if old.handler != sigIgn {
			continue
		}
		var dfl kernelSigaction
		if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0); e != 0 {
			return e
		}
	}
	return nil
}
