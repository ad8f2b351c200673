// Package dynuser allocates dynamic user IDs using the same lock-file
// protocol as systemd's DynamicUser= and publishes the resulting users as
// JSON user records in /run/userdb, where nss-systemd resolves them.
package dynuser

import (
	"fmt"

	"github.com/dchest/siphash"
)

// The dynamic UID range reserved by systemd for DynamicUser= services.
const (
	MinUID uint32 = 61184
	MaxUID uint32 = 65519
)

// The SipHash key systemd uses to derive the preferred UID from a user name,
// so both implementations agree on the first candidate. The key bytes are
// 37 53 7e 31 cf ce 48 f5 8a bb 39 57 8d d9 ec 59, read as two little-endian
// 64-bit words.
const (
	hashK0 uint64 = 0xf548cecf317e5337
	hashK1 uint64 = 0x59ecd98d5739bb8a
)

// The SipHash key systemd hashes a unit name with when the name cannot be
// a user name (bytes 58 1a af e6 28 58 4e 96 b4 4e f5 3b 8c 92 07 ec).
const (
	unitK0 uint64 = 0x964e5828e6af1a58
	unitK1 uint64 = 0xec07928c3bf54eb4
)

// UnitUserName is the user name systemd gives a DynamicUser= unit without
// User=: the unit's name prefix, or, where that is no valid user name,
// "_du" and its hash.
func UnitUserName(prefix string) string {
	if ValidUserName(prefix) == nil {
		return prefix
	}
	return fmt.Sprintf("_du%016x", siphash.Hash(unitK0, unitK1, []byte(prefix)))
}

// maxCapsuleName keeps "c-"+name within the 31 characters allowed for a
// strict POSIX user name.
const maxCapsuleName = 29

// maxUserName is the longest user name accepted by ValidUserName.
const maxUserName = 31

// ValidCapsuleName checks that name can be used as a capsule name: it is
// used verbatim in file names and as the user name "c-"+name.
func ValidCapsuleName(name string) error {
	ok := len(name) >= 1 && len(name) <= maxCapsuleName
	for i := 0; ok && i < len(name); i++ {
		ok = isAlnum(name[i]) || name[i] == '_' || name[i] == '-'
	}
	if !ok {
		return fmt.Errorf("invalid capsule name %q: use 1-%d characters from A-Z a-z 0-9 _ - (the user name c-NAME must be a valid POSIX user name)", name, maxCapsuleName)
	}
	return nil
}

// ValidUserName checks name against the strict POSIX-compatible rule
// ^[a-zA-Z_][a-zA-Z0-9_-]{0,30}$. Names passing it are also safe to use as
// file names in the lock and userdb directories.
func ValidUserName(name string) error {
	ok := len(name) >= 1 && len(name) <= maxUserName
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		if i == 0 {
			ok = isAlpha(c) || c == '_'
		} else {
			ok = isAlnum(c) || c == '_' || c == '-'
		}
	}
	if !ok {
		return fmt.Errorf("invalid user name %q: must start with A-Z a-z _ followed by up to %d characters from A-Z a-z 0-9 _ -", name, maxUserName-1)
	}
	return nil
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' }

// CapsuleUserName returns the user name that backs the capsule name.
func CapsuleUserName(capsule string) string { return "c-" + capsule }

// HashUID returns the UID systemd prefers for a dynamic user called name.
func HashUID(name string) uint32 {
	return hashInRange(name, MinUID, MaxUID)
}

// hashInRange maps the name hash into [lo, hi] the same way HashUID maps it
// into the default range, so narrowed ranges keep a stable first choice.
func hashInRange(name string, lo, hi uint32) uint32 {
	return clamp(uint32(siphash.Hash(hashK0, hashK1, []byte(name))), lo, hi)
}

func clamp(v, lo, hi uint32) uint32 {
	return v%(hi-lo+1) + lo
}
