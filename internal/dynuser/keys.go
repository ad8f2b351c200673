package dynuser

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Kernel keys of a dynamic user outlive its processes: the user keyring
// (_uid.N), the user session keyring (_uid_ses.N) and the persistent
// keyring (_persistent.N) stay, with whatever was linked into them, and
// the next holder of the UID would find them. Root cannot even see another
// user's keys, so the work below is done on a locked thread whose effective
// UID is the user's. Real and saved UID stay 0, so no process of that user
// can signal or trace the thread, and the thread is discarded afterwards.

// userKey is one line of /proc/keys.
type userKey struct {
	serial int
	usage  int // references; 0 means it is being destroyed
	uid    uint32
	typ    string
	desc   string // without the ": ..." summary
	perm   uint32
}

// keyCount returns how many keys the kernel accounts to uid
// (/proc/key-users), those being destroyed included.
func keyCount(procDir string, uid uint32) (int, error) {
	b, err := os.ReadFile(procDir + "/key-users")
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil // no keyrings in this kernel
	}
	if err != nil {
		return 0, fmt.Errorf("read key-users: %w", err)
	}
	return parseKeyUsers(b, uid), nil
}

func parseKeyUsers(b []byte, uid uint32) int {
	want := strconv.FormatUint(uint64(uid), 10) + ":"
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != want {
			continue
		}
		n, _, _ := strings.Cut(f[2], "/")
		c, _ := strconv.Atoi(n)
		return c
	}
	return 0
}

// parseProcKeys reads the keys listed in /proc/keys that uid owns.
func parseProcKeys(b []byte, uid uint32) []userKey {
	var keys []userKey
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// serial flags usage timeout perm uid gid type description: summary
		f := strings.Fields(sc.Text())
		if len(f) < 9 {
			continue
		}
		serial, err1 := strconv.ParseUint(f[0], 16, 32)
		owner, err2 := strconv.ParseUint(f[5], 10, 32)
		usage, err3 := strconv.Atoi(f[2])
		perm, err4 := strconv.ParseUint(f[4], 16, 32)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || uint32(owner) != uid {
			continue
		}
		desc := strings.Join(f[8:], " ")
		if i := strings.LastIndex(desc, ": "); i >= 0 {
			desc = desc[:i]
		} else {
			desc = strings.TrimSuffix(desc, ":")
		}
		keys = append(keys, userKey{serial: int(serial), usage: usage, uid: uint32(owner), typ: f[7], desc: desc, perm: uint32(perm)})
	}
	return keys
}

// Permissions the kernel gives the standard keyrings: the possessor all
// but setattr; the owner all for its user and user session keyrings, view
// and read for its persistent keyring (which it cannot change).
const (
	userRingPerm       = 0x1f3f0000
	persistentRingPerm = 0x1f030000
)

// standardRings are the keyrings the kernel keeps for uid, with the
// permissions it gives them.
func standardRings(uid uint32) map[string]uint32 {
	n := strconv.FormatUint(uint64(uid), 10)
	return map[string]uint32{"_uid." + n: userRingPerm, "_uid_ses." + n: userRingPerm, "_persistent." + n: persistentRingPerm}
}

// onThreadAs runs fn on a new locked thread with effective UID uid; the
// thread ends with fn, so nothing else ever runs with its credentials.
func onThreadAs(uid uint32, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// The main thread is never ended (Go parks it) and stands for
			// the process in /proc: not this one. While we hold it, the
			// next goroutine gets another.
			errc <- onThreadAs(uid, fn)
			runtime.UnlockOSThread()
			return
		}
		// Never unlocked: the thread exits with this goroutine. The raw
		// call changes this thread only (Go's wrapper changes all).
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, ^uintptr(0), uintptr(uid), ^uintptr(0)); e != 0 {
			errc <- fmt.Errorf("switch thread to UID %d: %w", uid, e)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// ownKeys lists the keys uid owns and may see; call it as uid.
func ownKeys(procDir string, uid uint32) ([]userKey, error) {
	b, err := os.ReadFile(procDir + "/keys")
	if err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	return parseProcKeys(b, uid), nil
}

// ringLinks returns the serials linked into a keyring.
func ringLinks(serial int) ([]int32, error) {
	buf := make([]byte, 4096)
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, serial, buf, 0)
	if err != nil {
		return nil, err
	}
	if n > len(buf) {
		buf = make([]byte, n)
		if n, err = unix.KeyctlBuffer(unix.KEYCTL_READ, serial, buf, 0); err != nil {
			return nil, err
		}
	}
	out := make([]int32, 0, n/4)
	for i := 0; i+4 <= n && i+4 <= len(buf); i += 4 {
		out = append(out, int32(binary.NativeEndian.Uint32(buf[i:])))
	}
	return out, nil
}

// keysHeld reports whether uid still has keys a new holder of the UID
// could reach or be hindered by. The kernel charges every key to its
// owner's quota (/proc/key-users), whether or not the owner may view it, so
// the count decides: a key its owner cannot see (another UID may still link
// it) takes a slot of the quota of whoever gets the UID next, and a keyring
// the owner cannot see may be one the next holder's processes get. What
// may remain are the standard keyrings, empty (the user session keyring
// may link the user keyring, as the kernel creates it), session keyrings
// ("_ses") of processes that exited but are not reaped yet, as long as they
// hold nothing of uid's (the invocation_id key is root's), and keys being
// destroyed (no references left), which nothing can look up any more.
func keysHeld(procDir string, uid uint32) (bool, error) {
	if n, err := keyCount(procDir, uid); err != nil || n == 0 {
		return false, err
	}
	held := true
	err := onThreadAs(uid, func() error {
		keys, err := ownKeys(procDir, uid)
		if err != nil {
			return err
		}
		// Counted after the listing: a key made in between is then either
		// listed or makes the count exceed what the listing explains.
		n, err := keyCount(procDir, uid)
		if err != nil {
			return err
		}
		held = !onlyEmptyRings(keys, n, standardRings(uid), ringLinks)
		return nil
	})
	return held, err
}

// onlyEmptyRings reports whether the keys uid may see, of the count the
// kernel charges to it, are all there is and hold nothing of uid's but
// its standard keyrings (see keysHeld). links lists a keyring's links.
func onlyEmptyRings(keys []userKey, count int, std map[string]uint32, links func(int) ([]int32, error)) bool {
	stdRing := map[int32]bool{}
	for _, k := range keys {
		if _, ok := std[k.desc]; ok && k.usage > 0 && k.typ == "keyring" {
			stdRing[int32(k.serial)] = true
		}
	}
	seen := 0
	for _, k := range keys {
		seen++
		if k.usage == 0 {
			continue // being destroyed, yet still counted
		}
		perm, isStd := std[k.desc]
		if k.typ != "keyring" || !isStd && k.desc != "_ses" {
			return false
		}
		if isStd && k.perm != perm {
			// Opened to others, they could put keys where the next
			// holder's searches look; closed, it could not use them.
			return false
		}
		ls, err := links(k.serial)
		if err != nil {
			return false // cannot tell: count it as held
		}
		for _, l := range ls {
			// Any other key of uid's is a key too many, seen or not; a
			// standard keyring must not link anyone else's either.
			if !stdRing[l] && isStd {
				return false
			}
		}
	}
	return seen >= count
}

// clearKeys empties the standard keyrings of uid, which unlinks (and so
// lets the kernel destroy) everything a holder of the UID left in them,
// and invalidates what else of uid's it can.
func clearKeys(procDir string, uid uint32) error {
	if n, err := keyCount(procDir, uid); err != nil || n == 0 {
		return err
	}
	std := standardRings(uid)
	persistent := false
	rings := 0 // standard keyrings, which stay
	var errs []error
	err := onThreadAs(uid, func() error {
		keys, err := ownKeys(procDir, uid)
		if err != nil {
			return err
		}
		for _, k := range keys {
			switch {
			case k.typ == "keyring" && k.desc == "_persistent."+strconv.FormatUint(uint64(uid), 10):
				rings++
				persistent = true // the owner may not write it; see below
			case k.typ == "keyring" && std[k.desc] != 0:
				rings++
				// Back to the kernel's permissions first: the holder may
				// have opened its keyrings to others, or closed them to
				// itself.
				if k.perm != std[k.desc] {
					if err := unix.KeyctlSetperm(k.serial, std[k.desc]); err != nil && !errors.Is(err, unix.ENOKEY) {
						errs = append(errs, fmt.Errorf("reset permissions of keyring %s: %w", k.desc, err))
					}
				}
				if _, err := unix.KeyctlInt(unix.KEYCTL_CLEAR, k.serial, 0, 0, 0); err != nil && !errors.Is(err, unix.ENOKEY) {
					errs = append(errs, fmt.Errorf("clear keyring %s: %w", k.desc, err))
				}
			default:
				// Possible only where the key grants its owner search
				// permission; the rest goes when nothing links it.
				unix.KeyctlInt(unix.KEYCTL_INVALIDATE, k.serial, 0, 0, 0)
			}
		}
		// Back to what the kernel creates: the user session keyring
		// links the user keyring, which processes without a session
		// keyring of their own rely on.
		userRing, sesRing := 0, 0
		for _, k := range keys {
			switch k.desc {
			case "_uid." + strconv.FormatUint(uint64(uid), 10):
				userRing = k.serial
			case "_uid_ses." + strconv.FormatUint(uint64(uid), 10):
				sesRing = k.serial
			}
		}
		if userRing != 0 && sesRing != 0 {
			if _, err := unix.KeyctlInt(unix.KEYCTL_LINK, userRing, sesRing, 0, 0); err != nil {
				errs = append(errs, fmt.Errorf("link user keyring into user session keyring: %w", err))
			}
		}
		if !persistent {
			return nil
		}
		// Back as root (real UID 0), which may take any user's persistent
		// keyring; linked into this thread's own keyring it is possessed,
		// and a possessor may clear it.
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, ^uintptr(0), 0, ^uintptr(0)); e != 0 {
			return fmt.Errorf("switch thread back to root: %w", e)
		}
		id, err := unix.KeyctlInt(unix.KEYCTL_GET_PERSISTENT, int(uid), unix.KEY_SPEC_THREAD_KEYRING, 0, 0)
		if err != nil {
			return fmt.Errorf("get persistent keyring: %w", err)
		}
		if _, err := unix.KeyctlInt(unix.KEYCTL_CLEAR, id, 0, 0, 0); err != nil {
			return fmt.Errorf("clear persistent keyring: %w", err)
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clear keys of UID %d: %w", uid, err)
	}
	waitKeysDestroyed(procDir, uid, rings)
	return nil
}

// waitKeysDestroyed gives the kernel's key garbage collector, which runs
// asynchronously, a moment to destroy what clearing unlinked, so that the
// allocator does not skip the UID right after its release: until no more
// than the standard keyrings (rings) are left. Only the count is read, as
// reading /proc/keys costs milliseconds on a host with many keys; the
// allocator checks in full. It gives up silently: a UID with keys left is
// only skipped, never handed out.
func waitKeysDestroyed(procDir string, uid uint32, rings int) {
	for i := 0; i < 100; i++ {
		if n, err := keyCount(procDir, uid); err != nil || n <= rings {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// keysGoneWait bounds how long Acquire waits for the keys of a UID's
// previous holder to be destroyed.
const keysGoneWait = 500 * time.Millisecond

// waitKeysGone waits up to d for uid to hold no keys, and reports whether
// it came to that. A UID held by something else than keys is left at once.
func (c config) waitKeysGone(uid uint32, d time.Duration) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		held, err := keysHeld(c.proc, uid)
		if err != nil {
			return false
		}
		if !held {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
