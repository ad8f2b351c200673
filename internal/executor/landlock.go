package executor

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// LandlockScopeABI is the first Landlock ABI with scoping (Linux 6.12):
// LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET and LANDLOCK_SCOPE_SIGNAL.
const LandlockScopeABI = 6

// landlockRulesetAttr is struct landlock_ruleset_attr up to "scoped", the
// part ABI 6 knows; the kernel accepts a shorter struct than its own.
type landlockRulesetAttr struct {
	handledAccessFS  uint64
	handledAccessNet uint64
	scoped           uint64
}

// LandlockABI returns the kernel's Landlock ABI version, 0 if it has none
// (not built in, or not enabled with lsm=).
func LandlockABI() int {
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if errno != 0 {
		return 0
	}
	return int(v)
}

// scopeLandlock puts the calling thread (and whatever it execs and forks)
// into a new Landlock domain that restricts no file or network access but
// cannot connect or send to abstract unix sockets, nor signal processes,
// outside itself. It needs no_new_privs (or CAP_SYS_ADMIN).
func scopeLandlock() error {
	attr := landlockRulesetAttr{scoped: unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | unix.LANDLOCK_SCOPE_SIGNAL}
	fd, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr), 0)
	if errno != 0 {
		return fmt.Errorf("landlock_create_ruleset: %w", errno)
	}
	defer unix.Close(int(fd))
	if _, _, errno := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, fd, 0, 0); errno != 0 {
		return fmt.Errorf("landlock_restrict_self: %w", errno)
	}
	return nil
}
