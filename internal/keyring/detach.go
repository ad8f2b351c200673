package keyring

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// envJoined tells the re-executed manager the serial of the session keyring
// it joined before exec.
const envJoined = "CAPSULED_SESSION_KEYRING"

// DetachSession makes the whole process run with a new, empty session
// keyring instead of its starter's, so that nothing it starts can reach
// the starter's keys (KeyringMode=inherit included). A join changes only
// the calling thread, and Go runs on many threads, so it joins on a locked
// thread and re-executes /proc/self/exe from there with the same arguments.
// It returns nil in the re-executed process, and also when the kernel has
// no keyrings for us (nothing to detach from then).
//
// The new keyring is made read-only, even for root: units that inherit it
// then cannot use it to pass keys to each other.
func DetachSession() error {
	want, set := os.LookupEnv(envJoined)
	os.Unsetenv(envJoined)
	if set {
		cur, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
		if err == nil && strconv.Itoa(cur) == want {
			return nil
		}
		// Not ours: refuse rather than re-execute without end.
		return fmt.Errorf("session keyring %v after re-execution is not the one joined (%s=%s)", cur, envJoined, want)
	}
	runtime.LockOSThread() // never unlocked: exec follows, or the caller exits
	id, err := joinAnonymous()
	if unavailable(err) {
		runtime.UnlockOSThread() // the thread is unchanged
		return nil
	}
	if err != nil {
		return fmt.Errorf("join new session keyring: %w", err)
	}
	if err := unix.KeyctlSetperm(id, readOnly); err != nil {
		return fmt.Errorf("make session keyring read-only: %w", err)
	}
	env := append(os.Environ(), envJoined+"="+strconv.Itoa(id))
	err = syscall.Exec("/proc/self/exe", os.Args, env)
	return fmt.Errorf("re-execute to leave the starter's session keyring: %w", err)
}
