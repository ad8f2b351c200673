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
	"strconv"
	"strings"

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
//
// Unlike systemd, which then goes on with the keyring the thread already
// has, Setup fails when the user's key quota leaves no room for the new
// keyring, and checks that the thread really has a new keyring of the
// user's afterwards: a unit must never run with its starter's keyring (or
// another user's) in the place of its own.
func Setup(mode Mode, uid, gid int, invocationID string) error {
	if mode == Inherit || mode == "" {
		return nil
	}
	ruid, rgid := unix.Getuid(), unix.Getgid()
	switch_ := uid >= 0 && (uid != ruid || gid != rgid)
	owner, group := ruid, rgid
	before, _ := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	if switch_ {
		if err := setRealIDs(uid, gid); err != nil {
			return err
		}
		owner, group = uid, gid
	}
	err := join(mode, owner, group, before)
	if switch_ {
		if rerr := setRealIDs(ruid, rgid); rerr != nil {
			// The thread is not what it should be; nothing may run on it.
			return fmt.Errorf("restore identity after keyring set-up: %w", rerr)
		}
	}
	if err != nil {
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

// join gives the thread a new session keyring and checks that it is one:
// owned by uid and gid, named "_ses", empty and not the keyring before
// (serial before).
func join(mode Mode, uid, gid, before int) error {
	_, err := joinAnonymous()
	switch {
	case errors.Is(err, unix.ENOSYS):
		return nil // no keyrings in this kernel: none to inherit either
	case errors.Is(err, unix.EDQUOT):
		return fmt.Errorf("join new session keyring: key quota of UID %d exhausted (see /proc/key-users): %w", uid, err)
	case unavailable(err):
		// Prohibited (a seccomp filter or security module): as systemd,
		// go on, unless the thread still reaches a keyring it would then
		// use in the place of its own.
		if cur, cerr := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false); cerr == nil {
			return fmt.Errorf("join new session keyring: %w; the unit would run with keyring %d instead", err, cur)
		}
		return nil
	case err != nil:
		return fmt.Errorf("join new session keyring: %w", err)
	}
	if err := checkFresh(uid, gid, before); err != nil {
		return err
	}
	if mode == Shared {
		if _, err := unix.KeyctlInt(unix.KEYCTL_LINK, unix.KEY_SPEC_USER_KEYRING, unix.KEY_SPEC_SESSION_KEYRING, 0, 0); err != nil {
			return fmt.Errorf("link user keyring into session keyring: %w", err)
		}
	}
	return nil
}

// checkFresh checks that the thread's session keyring is a new, empty
// keyring of uid and gid.
func checkFresh(uid, gid, before int) error {
	id, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	if err != nil {
		return fmt.Errorf("new session keyring: %w", err)
	}
	desc, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
	if err != nil {
		return fmt.Errorf("describe new session keyring %d: %w", id, err)
	}
	links, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, nil, 0)
	if err != nil {
		return fmt.Errorf("read new session keyring %d: %w", id, err)
	}
	if problem := notFresh(desc, id, before, links, uid, gid); problem != "" {
		return fmt.Errorf("session keyring %d (%s) is not a new keyring of UID %d: %s", id, desc, uid, problem)
	}
	return nil
}

// notFresh says what is wrong with a session keyring given its
// KEYCTL_DESCRIBE string ("type;uid;gid;perm;description"), serial,
// the serial before the join and the size of its list of links.
func notFresh(desc string, id, before, links, uid, gid int) string {
	f := strings.SplitN(desc, ";", 5)
	switch {
	case len(f) != 5 || f[0] != "keyring":
		return "not a keyring"
	case f[1] != strconv.Itoa(uid) || f[2] != strconv.Itoa(gid):
		return "owned by UID " + f[1] + ", GID " + f[2]
	case f[4] != "_ses":
		return "named " + strconv.Quote(f[4])
	case id == before:
		return "the keyring it had before"
	case links != 0:
		return "not empty"
	}
	return ""
}
