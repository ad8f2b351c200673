package dynuser

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrRangeFull is returned (wrapped) by Acquire when no free UID was found.
var ErrRangeFull = errors.New("no free dynamic UID")

// maxCandidates bounds the work Acquire does before giving up; with a
// mostly free range the hash or a few random picks succeed long before.
const maxCandidates = 100

// Allocator hands out dynamic UIDs. The zero value uses the system paths and
// the systemd range. It holds no mutable state, so one Allocator may be used
// from many goroutines; cross-process exclusion comes from flock(2) on the
// per-UID lock files, which systemd uses the same way.
type Allocator struct {
	LockDir  string // default "/run/systemd/dynamic-uid"
	UserDB   string // default "/run/userdb"
	Min, Max uint32 // default MinUID and MaxUID
	Etc      string // directory holding passwd and group, default "/etc"
	// Rand supplies random candidates; it must be safe for concurrent use
	// if Acquire is called concurrently. Default math/rand/v2.Uint32.
	Rand func() uint32

	// proc is the procfs mount point, default "/proc". Tests replace it,
	// and then the kernel's real message queues are not consulted either.
	proc string
}

// config is an Allocator with defaults filled in.
type config struct {
	lockDir, userDB, etc, proc string
	min, max                   uint32
	rand                       func() uint32
	realKernel                 bool // proc is the host's: check message queues too
}

func (a *Allocator) config() config {
	c := config{
		lockDir: a.LockDir, userDB: a.UserDB, etc: a.Etc, proc: a.proc,
		min: a.Min, max: a.Max, rand: a.Rand,
	}
	if c.lockDir == "" {
		c.lockDir = "/run/systemd/dynamic-uid"
	}
	if c.userDB == "" {
		c.userDB = "/run/userdb"
	}
	if c.etc == "" {
		c.etc = "/etc"
	}
	if c.proc == "" {
		c.proc, c.realKernel = "/proc", true
	}
	if c.min == 0 {
		c.min = MinUID
	}
	if c.max == 0 {
		c.max = MaxUID
	}
	if c.rand == nil {
		c.rand = rand.Uint32
	}
	return c
}

// User is an allocated user. For a dynamic user the lock file stays open,
// and thereby flock'ed, until Release.
type User struct {
	Name   string
	UID    uint32 // the GID is the same number
	Static bool   // the name is a user in passwd; nothing was allocated

	mu       sync.Mutex
	lock     *os.File
	lockPath string
	records  string // userdb directory holding published records, if any
	proc     string // procfs, for the keys left at release
}

// Acquire returns a UID for the user name. A user of that name in passwd is
// returned as is (Static). Otherwise a free UID in the range is locked,
// trying the owners of the suggested paths first (so a service keeps the
// owner of its existing state), then the name hash, then random picks.
func (a *Allocator) Acquire(name string, suggested []string) (*User, error) {
	if err := ValidUserName(name); err != nil {
		return nil, err
	}
	c := a.config()
	if c.min > c.max || c.max == ^uint32(0) {
		return nil, fmt.Errorf("invalid dynamic UID range %d-%d", c.min, c.max)
	}
	passwd, group := filepath.Join(c.etc, "passwd"), filepath.Join(c.etc, "group")
	if uid, ok, err := lookupEtcName(passwd, name); err != nil {
		return nil, fmt.Errorf("acquire %s: %w", name, err)
	} else if ok {
		return &User{Name: name, UID: uid, Static: true}, nil
	}
	if _, ok, err := lookupEtcName(group, name); err != nil {
		return nil, fmt.Errorf("acquire %s: %w", name, err)
	} else if ok {
		return nil, fmt.Errorf("user or group with name %q already exists", name)
	}
	if err := os.MkdirAll(c.lockDir, 0o755); err != nil {
		return nil, fmt.Errorf("acquire %s: create lock directory: %w", name, err)
	}

	next := c.candidates(name, suggested)
	var uid uint32
	retry := false  // retry the same uid after a lost race
	waited := false // for keys of a previous holder to go
	for tries := 0; tries < maxCandidates; tries++ {
		if !retry {
			uid = next()
		}
		retry = false
		if uid < c.min || uid > c.max {
			continue
		}
		path := filepath.Join(c.lockDir, strconv.FormatUint(uint64(uid), 10))
		f, state, err := lockUID(path)
		if err != nil {
			return nil, fmt.Errorf("acquire %s: %w", name, err)
		}
		switch state {
		case lockBusy:
			continue
		case lockStale:
			// The previous holder unlinked it between our open and flock;
			// the UID may well be free now, so try it again.
			retry = true
			continue
		}
		used, err := c.idInUse(uid)
		if used && err == nil && !waited {
			// The session keyrings of a holder's last processes go only
			// once those are reaped (by whoever inherited them, after a
			// crash of the manager) and the kernel's key collector has
			// run; a restarted capsule keeps its UID if that is soon.
			// Once per acquisition, so that keys left on purpose cost
			// one wait, not one per candidate.
			waited = true
			if c.waitKeysGone(uid, keysGoneWait) {
				used, err = c.idInUse(uid)
			}
		}
		if err != nil || used {
			unlinkIfSame(f, path)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("acquire %s: check UID %d: %w", name, uid, err)
			}
			continue
		}
		// The content lets an administrator (and ReleaseStale) see who
		// holds the UID.
		content := name + "\n"
		_, err = f.WriteAt([]byte(content), 0)
		if err == nil {
			err = f.Truncate(int64(len(content)))
		}
		if err != nil {
			unlinkIfSame(f, path)
			f.Close()
			return nil, fmt.Errorf("acquire %s: write %s: %w", name, path, err)
		}
		return &User{Name: name, UID: uid, lock: f, lockPath: path, proc: c.proc}, nil
	}
	return nil, fmt.Errorf("%w in %d-%d (tried %d candidates): stop other capsules or dynamic users",
		ErrRangeFull, c.min, c.max, maxCandidates)
}

// candidates returns a generator yielding the suggested owners, the name
// hash and then random UIDs. Values outside the range are left for the
// caller to skip so that they still count against the budget.
func (c config) candidates(name string, suggested []string) func() uint32 {
	i, hashed := 0, false
	return func() uint32 {
		for i < len(suggested) {
			p := suggested[i]
			i++
			fi, err := os.Stat(p)
			if err != nil {
				continue
			}
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				return st.Uid
			}
		}
		if !hashed {
			hashed = true
			return hashInRange(name, c.min, c.max)
		}
		return clamp(c.rand(), c.min, c.max)
	}
}

type lockState int

const (
	lockHeld  lockState = iota // we own the lock
	lockBusy                   // someone else holds it, or the path is unusable
	lockStale                  // locked a file that was unlinked meanwhile
)

// lockUID opens and flocks the lock file at path without blocking.
func lockUID(path string) (*os.File, lockState, error) {
	// O_NOFOLLOW keeps a planted symlink from redirecting the lock.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_NOCTTY|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EISDIR) {
		return nil, lockBusy, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("open lock file: %w", err)
	}
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, lockBusy, nil
		}
		return nil, 0, fmt.Errorf("lock %s: %w", path, err)
	}
	linked, err := stillLinked(f, path)
	if err != nil || !linked {
		f.Close()
		return nil, lockStale, err
	}
	return f, lockHeld, nil
}

func flock(f *os.File, how int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = rc.Control(func(fd uintptr) {
		for {
			ferr = unix.Flock(int(fd), how)
			if ferr != unix.EINTR {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	return ferr
}

// stillLinked reports whether f is still the file at path. A holder that
// gives up a UID unlinks the file before closing it, so a lock obtained on
// an unlinked file protects nothing.
func stillLinked(f *os.File, path string) (bool, error) {
	fst, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", path, err)
	}
	if st, ok := fst.Sys().(*syscall.Stat_t); ok && st.Nlink == 0 {
		return false, nil
	}
	pst, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", path, err)
	}
	return os.SameFile(fst, pst), nil
}

// unlinkIfSame removes path if it is still the file f refers to. Callers
// hold the flock, and every party unlinks only under the flock, so the
// check cannot race with another remover.
func unlinkIfSame(f *os.File, path string) error {
	linked, err := stillLinked(f, path)
	if err != nil || !linked {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove lock file: %w", err)
	}
	return nil
}

// idInUse reports whether anything outside the lock protocol already uses
// uid as a user or group id.
func (c config) idInUse(uid uint32) (bool, error) {
	for _, f := range []string{"passwd", "group"} {
		used, err := etcHasID(filepath.Join(c.etc, f), uid)
		if used || err != nil {
			return used, err
		}
	}
	for _, ext := range []string{".user", ".group"} {
		p := filepath.Join(c.userDB, strconv.FormatUint(uint64(uid), 10)+ext)
		_, err := os.Lstat(p)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("stat %s: %w", p, err)
		}
	}
	if used, err := ipcBlocks(c.proc, uid); used || err != nil {
		return used, err
	}
	if used, err := keysHeld(c.proc, uid); used || err != nil {
		return used, err
	}
	if c.realKernel {
		return mqueueUsed(uid)
	}
	return false, nil
}

// Release removes published records, gives up the UID and closes the lock
// file. It may be called more than once.
func (u *User) Release() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	var errs []error
	if u.records != "" {
		if err := removeRecords(u.records, u.Name, u.UID); err != nil {
			errs = append(errs, err)
		} else {
			u.records = ""
		}
	}
	if u.lock != nil {
		// The kernel keeps a user's keyrings; emptied, they hold nothing
		// for the next holder of the UID.
		if err := clearKeys(u.proc, u.UID); err != nil {
			errs = append(errs, err)
		}
		// Unlink before closing: once closed, another allocator may lock
		// the same file and must then see it as stale.
		if err := unlinkIfSame(u.lock, u.lockPath); err != nil {
			errs = append(errs, err)
		}
		if err := u.lock.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close lock file: %w", err))
		}
		u.lock = nil
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("release %s (UID %d): %w", u.Name, u.UID, err)
	}
	return nil
}

// ReleaseStale cleans up after a holder of name that exited without
// Release: lock files naming it that nobody holds are removed together with
// their userdb records, as are records whose lock file is gone. It must not
// run concurrently with Acquire or Publish for the same name.
func (a *Allocator) ReleaseStale(name string) error {
	if err := ValidUserName(name); err != nil {
		return err
	}
	c := a.config()
	entries, err := os.ReadDir(c.lockDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("release stale %s: %w", name, err)
	}
	var errs []error
	for _, e := range entries {
		uid, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil {
			continue
		}
		if err := c.releaseStaleLock(name, uint32(uid)); err != nil {
			errs = append(errs, err)
		}
	}
	ids, err := recordIDs(c.userDB, name)
	if err != nil {
		errs = append(errs, err)
	}
	for _, id := range ids {
		p := filepath.Join(c.lockDir, strconv.FormatUint(uint64(id), 10))
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			if err := removeRecords(c.userDB, name, id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("release stale %s: %w", name, err)
	}
	return nil
}

// releaseStaleLock removes the lock file for uid if it names name and no
// one holds it.
func (c config) releaseStaleLock(name string, uid uint32) error {
	path := filepath.Join(c.lockDir, strconv.FormatUint(uint64(uid), 10))
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOFOLLOW|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EISDIR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	want := name + "\n"
	// Check the owner before locking so that other users' files are not
	// locked even briefly, which would make a concurrent Acquire skip them.
	if got, err := readSmall(f); err != nil || got != want {
		return err
	}
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil
		}
		return fmt.Errorf("lock %s: %w", path, err)
	}
	if linked, err := stillLinked(f, path); err != nil || !linked {
		return err
	}
	// Recheck under the lock: the file may have been reused meanwhile.
	if got, err := readSmall(f); err != nil || got != want {
		return err
	}
	if err := removeRecords(c.userDB, name, uid); err != nil {
		return err
	}
	// What the dead holder left in the kernel goes as at a release.
	if err := clearKeys(c.proc, uid); err != nil {
		return err
	}
	if c.realKernel {
		if err := RemoveIPC(uid, uid); err != nil {
			return fmt.Errorf("UID %d: %w", uid, err)
		}
	}
	return unlinkIfSame(f, path)
}

// readSmall reads the start of a lock file; valid contents are a user name
// and a newline, so anything longer cannot match.
func readSmall(f *os.File) (string, error) {
	buf := make([]byte, maxUserName+2)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return string(buf[:n]), nil
}
