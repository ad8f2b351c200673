// Package keyring sets up kernel session keyrings (KeyringMode=) and
// detaches a manager from the keyring of whoever started it.
//
// A session keyring belongs to a thread's credentials, so every function
// here that joins or switches identity acts on the calling thread only: the
// caller must hold runtime.LockOSThread and either exec from that thread or
// let it end without unlocking.
package keyring

import (
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Mode is a KeyringMode= value.
type Mode string

const (
	Inherit Mode = "inherit" // keep the session keyring of the parent
	Private Mode = "private" // a new anonymous session keyring
	Shared  Mode = "shared"  // a new one with the user keyring linked in
)

// ParseMode parses a KeyringMode= value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Inherit, Private, Shared:
		return m, nil
	}
	return "", fmt.Errorf("invalid KeyringMode=%s: want inherit, private or shared", s)
}

// Key permission bits (linux/keyctl.h): possessor and owner.
const (
	posView   = 0x01000000
	posRead   = 0x02000000
	posSearch = 0x08000000
	usrView   = 0x00010000
	usrRead   = 0x00020000
	usrSearch = 0x00080000

	readOnly = posView | posRead | posSearch | usrView | usrRead | usrSearch
)

// joinAnonymous gives the calling thread a new, empty session keyring.
// The name must be NULL, not "": an empty name would join or create a
// keyring called "".
func joinAnonymous() (int, error) {
	id, _, errno := unix.Syscall(unix.SYS_KEYCTL, unix.KEYCTL_JOIN_SESSION_KEYRING, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(id), nil
}

// unavailable reports whether err means the kernel offers no keyrings to
// this process; systemd goes on without a keyring then, and so do we.
func unavailable(err error) bool {
	return errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)
}

// setRealIDs sets the real UID and GID of the calling thread only (the
// raw system calls; Go's wrappers change every thread). With real IDs of
// the unit's user, a keyring the kernel creates belongs to that user and
// KEY_SPEC_USER_KEYRING names that user's keyring.
func setRealIDs(uid, gid int) error {
	if _, _, errno := unix.RawSyscall(unix.SYS_SETREGID, uintptr(gid), ^uintptr(0), 0); errno != 0 {
		return fmt.Errorf("setregid %d: %w", gid, errno)
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SETREUID, uintptr(uid), ^uintptr(0), 0); errno != 0 {
		return fmt.Errorf("setreuid %d: %w", uid, errno)
	}
	return nil
}

// Setup gives the calling thread the session keyring of a unit: for
// Private and Shared a new anonymous keyring owned by uid and gid (with the
// user keyring of uid linked in for Shared) that holds the invocation ID as
// a "user" key named invocation_id, which the unit can read but not change.
// This is what systemd does. uid < 0 keeps the thread's own identity. The
// caller must be root when uid differs from its own.
func Setup(mode Mode, uid, gid int, invocationID string) error {
	if mode == Inherit || mode == "" {
		return nil
	}
	ruid, rgid := unix.Getuid(), unix.Getgid()
	switch_ := uid >= 0 && (uid != ruid || gid != rgid)
	if switch_ {
		if err := setRealIDs(uid, gid); err != nil {
			return err
		}
	}
	err := join(mode)
	if switch_ {
		if rerr := setRealIDs(ruid, rgid); rerr != nil {
			// The thread is not what it should be; nothing may run on it.
			return fmt.Errorf("restore identity after keyring set-up: %w", rerr)
		}
	}
	if err != nil {
		if unavailable(err) || errors.Is(err, unix.EDQUOT) {
			return nil
		}
		return err
	}
	id, err := hex.DecodeString(invocationID)
	if err != nil || len(id) != 16 {
		return nil // no invocation ID to record
	}
	key, err := unix.AddKey("user", "invocation_id", id, unix.KEY_SPEC_SESSION_KEYRING)
	if err != nil {
		return nil // as systemd: the keyring is usable without it
	}
	if err := unix.KeyctlSetperm(key, readOnly); err != nil {
		return fmt.Errorf("restrict invocation_id key: %w", err)
	}
	return nil
}

func join(mode Mode) error {
	if _, err := joinAnonymous(); err != nil {
		return fmt.Errorf("join new session keyring: %w", err)
	}
	if mode == Shared {
		if _, err := unix.KeyctlInt(unix.KEYCTL_LINK, unix.KEY_SPEC_USER_KEYRING, unix.KEY_SPEC_SESSION_KEYRING, 0, 0); err != nil {
			return fmt.Errorf("link user keyring into session keyring: %w", err)
		}
	}
	return nil
}
