package dynuser

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

const (
	testMin uint32 = 62000
	testMax uint32 = 62099
)

// newTestAllocator returns an Allocator confined to temporary directories
// with empty passwd and group files and no SysV IPC objects.
func newTestAllocator(t *testing.T, min, max uint32) *Allocator {
	t.Helper()
	root := t.TempDir()
	a := &Allocator{
		LockDir: filepath.Join(root, "dynamic-uid"),
		UserDB:  filepath.Join(root, "userdb"),
		Etc:     filepath.Join(root, "etc"),
		Min:     min,
		Max:     max,
		proc:    filepath.Join(root, "proc"),
	}
	for _, d := range []string{a.Etc, filepath.Join(a.proc, "sysvipc")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(a.Etc, "passwd"), "root:x:0:0:root:/root:/bin/sh\n")
	writeFile(t, filepath.Join(a.Etc, "group"), "root:x:0:\n")
	return a
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

// sequence returns a Rand that yields the given offsets from a.Min (then
// repeats the last one), so tests control the random candidates.
func sequence(offsets ...uint32) func() uint32 {
	var i atomic.Int64
	return func() uint32 {
		n := int(i.Add(1)) - 1
		if n >= len(offsets) {
			n = len(offsets) - 1
		}
		return offsets[n]
	}
}

func lockPath(a *Allocator, uid uint32) string {
	return filepath.Join(a.LockDir, strconv.FormatUint(uint64(uid), 10))
}

func mustAcquire(t *testing.T, a *Allocator, name string, suggested ...string) *User {
	t.Helper()
	u, err := a.Acquire(name, suggested)
	if err != nil {
		t.Fatalf("Acquire(%q): %v", name, err)
	}
	t.Cleanup(func() { u.Release() })
	return u
}

func TestAcquireUsesHashFirst(t *testing.T) {
	a := newTestAllocator(t, testMin, testMax)
	u := mustAcquire(t, a, "c-tatze")
	if want := hashInRange("c-tatze", testMin, testMax); u.UID != want {
		t.Errorf("UID = %d, want hash candidate %d", u.UID, want)
	}
	if u.Static || u.Name != "c-tatze" {
		t.Errorf("unexpected user %+v", u)
	}
	p := lockPath(a, u.UID)
	data, err := os.ReadFile(p)
	if err != nil || string(data) != "c-tatze\n" {
		t.Errorf("lock file content = %q, %v", data, err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file mode: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(a.LockDir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("lock dir mode: %v %v", fi.Mode(), err)
	}

	if err := u.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file still present after Release: %v", err)
	}
	if err := u.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
}

func TestDefaultRangeUsesHashUID(t *testing.T) {
	a := newTestAllocator(t, 0, 0)
	u := mustAcquire(t, a, "c-foobar")
	if u.UID != 63934 {
		t.Errorf("UID = %d, want 63934", u.UID)
	}
}

func TestAcquireSuggestedOwnerPreferred(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown to an arbitrary UID needs root")
	}
	a := newTestAllocator(t, testMin, testMax)
	want := testMin + 7
	if want == hashInRange("c-sugg", testMin, testMax) {
		want++
	}
	dir := t.TempDir()
	owned := filepath.Join(dir, "state")
	if err := os.Mkdir(owned, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(owned, int(want), int(want)); err != nil {
		t.Fatal(err)
	}
	rootOwned := filepath.Join(dir, "root-owned") // UID 0 is out of range
	writeFile(t, rootOwned, "")
	missing := filepath.Join(dir, "missing")

	u := mustAcquire(t, a, "c-sugg", missing, rootOwned, owned)
	if u.UID != want {
		t.Errorf("UID = %d, want owner of suggested path %d", u.UID, want)
	}
}

func TestAcquireSkipsLockHeldInProcess(t *testing.T) {
	a := newTestAllocator(t, testMin, testMax)
	hash := hashInRange("c-held", testMin, testMax)
	if err := os.MkdirAll(a.LockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file description, so this separate
	// open conflicts with Acquire's own open in the same process.
	f, err := os.OpenFile(lockPath(a, hash), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	u := mustAcquire(t, a, "c-held")
	if u.UID == hash {
		t.Fatalf("Acquire took UID %d whose lock is held", hash)
	}
	u.Release()
	if _, err := os.Stat(lockPath(a, hash)); err != nil {
		t.Errorf("foreign lock file was touched: %v", err)
	}
}

func TestAcquireSkipsLockHeldByOtherProcess(t *testing.T) {
	flockCmd, err := exec.LookPath("flock")
	if err != nil {
		t.Skip("flock(1) not installed")
	}
	a := newTestAllocator(t, testMin, testMax)
	hash := hashInRange("c-child", testMin, testMax)
	if err := os.MkdirAll(a.LockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The child holds the lock until its stdin is closed.
	cmd := exec.Command(flockCmd, "-o", lockPath(a, hash), "sh", "-c", "echo ready; read x")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("child did not take the lock: %q %v", line, err)
	}

	u := mustAcquire(t, a, "c-child")
	if u.UID == hash {
		t.Fatalf("Acquire took UID %d locked by another process", hash)
	}
}

func TestAcquireSkipsUsedIDs(t *testing.T) {
	a := newTestAllocator(t, testMin, testMax)
	name := "c-busy"
	hash := hashInRange(name, testMin, testMax)
	// Random candidates: one per collision kind, then a free one. All are
	// distinct from the hash candidate.
	var offs []uint32
	for o := uint32(0); len(offs) < 5; o++ {
		if testMin+o != hash {
			offs = append(offs, o)
		}
	}
	a.Rand = sequence(offs...)
	passwdUID, groupGID, userdbUID, ipcUID, free := testMin+offs[0], testMin+offs[1], testMin+offs[2], testMin+offs[3], testMin+offs[4]

	appendFile(t, filepath.Join(a.Etc, "passwd"),
		fmt.Sprintf("byhash:x:%d:100::/:/bin/false\nother:x:%d:100::/:/bin/false\n", hash, passwdUID))
	appendFile(t, filepath.Join(a.Etc, "group"), fmt.Sprintf("grp:x:%d:\n", groupGID))
	if err := os.MkdirAll(a.UserDB, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("someone.group", filepath.Join(a.UserDB, fmt.Sprintf("%d.group", userdbUID))); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(a.proc, "sysvipc", "shm"),
		"       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n"+
			fmt.Sprintf("         0          1   600                  4096   100   100      0  %d  %d  %d  %d 0 0 0 4096 0\n", ipcUID, ipcUID, ipcUID, ipcUID))

	u := mustAcquire(t, a, name)
	if u.UID != free {
		t.Fatalf("UID = %d, want first free candidate %d", u.UID, free)
	}
	// Lock files of rejected candidates must not linger.
	for _, id := range []uint32{hash, passwdUID, groupGID, userdbUID, ipcUID} {
		if _, err := os.Lstat(lockPath(a, id)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("lock file for used UID %d left behind: %v", id, err)
		}
	}
}

func TestAcquireSkipsOutOfRangeCandidates(t *testing.T) {
	a := newTestAllocator(t, testMin, testMax)
	dir := t.TempDir() // owned by the test user, outside the range
	u := mustAcquire(t, a, "c-range", dir)
	if u.UID != hashInRange("c-range", testMin, testMax) {
		t.Errorf("UID = %d, want hash candidate", u.UID)
	}
}

func TestAcquireStaticAndGroupNames(t *testing.T) {
	a := newTestAllocator(t, testMin, testMax)
	appendFile(t, filepath.Join(a.Etc, "passwd"), "c-static:x:1234:1234::/:/bin/false\n")
	appendFile(t, filepath.Join(a.Etc, "group"), "c-static:x:1234:\nc-grp:x:1235:\n")

	u, err := a.Acquire("c-static", nil)
	if err != nil {
		t.Fatalf("Acquire static: %v", err)
	}
	if !u.Static || u.UID != 1234 {
		t.Errorf("got %+v, want static UID 1234", u)
	}
	if err := a.Publish(u, "/"); err != nil {
		t.Errorf("Publish static: %v", err)
	}
	if entries, _ := os.ReadDir(a.UserDB); len(entries) != 0 {
		t.Errorf("records written for static user: %v", entries)
	}
	if entries, _ := os.ReadDir(a.LockDir); len(entries) != 0 {
		t.Errorf("lock taken for static user: %v", entries)
	}
	if err := u.Release(); err != nil {
		t.Errorf("Release static: %v", err)
	}
	if uid, ok := a.Lookup("c-static"); !ok || uid != 1234 {
		t.Errorf("Lookup static = %d, %v", uid, ok)
	}

	_, err = a.Acquire("c-grp", nil)
	if err == nil || err.Error() != `user or group with name "c-grp" already exists` {
		t.Errorf("Acquire with existing group: %v", err)
	}
}

func TestAcquireInvalid(t *testing.T) {
	a := newTestAllocator(t, testMin, testMax)
	for _, name := range []string{"", "a/b", "../x", "9x", strings.Repeat("x", 32)} {
		if _, err := a.Acquire(name, nil); err == nil {
			t.Errorf("Acquire(%q) succeeded", name)
		}
	}
	bad := newTestAllocator(t, 100, 50)
	if _, err := bad.Acquire("c-x", nil); err == nil {
		t.Error("Acquire with inverted range succeeded")
	}
}

func TestAcquireRangeFull(t *testing.T) {
	a := newTestAllocator(t, testMin, testMin+2)
	// One id is taken in passwd, the others by live allocations.
	appendFile(t, filepath.Join(a.Etc, "passwd"), fmt.Sprintf("taken:x:%d:100::/:/bin/false\n", testMin))
	var held []*User
	for i := 0; len(held) < 2; i++ {
		if i > 10 {
			t.Fatal("could not fill the range")
		}
		held = append(held, mustAcquire(t, a, fmt.Sprintf("c-fill%d", i)))
	}

	_, err := a.Acquire("c-late", nil)
	if !errors.Is(err, ErrRangeFull) {
		t.Fatalf("Acquire on full range: %v, want ErrRangeFull", err)
	}
	want := fmt.Sprintf("no free dynamic UID in %d-%d (tried 100 candidates): stop other capsules or dynamic users", testMin, testMin+2)
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}

	// Releasing one makes room again.
	freed := held[0].UID
	if err := held[0].Release(); err != nil {
		t.Fatal(err)
	}
	u := mustAcquire(t, a, "c-late")
	if u.UID != freed {
		t.Errorf("UID = %d, want freed %d", u.UID, freed)
	}
}

func TestStillLinkedDetectsUnlink(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "61184")
	f, state, err := lockUID(p)
	if err != nil || state != lockHeld {
		t.Fatalf("lockUID: %v %v", state, err)
	}
	defer f.Close()
	if ok, err := stillLinked(f, p); !ok || err != nil {
		t.Errorf("stillLinked on fresh file = %v, %v", ok, err)
	}
	// Replace the file: a lock on the old one must be seen as stale.
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if ok, _ := stillLinked(f, p); ok {
		t.Error("stillLinked after unlink = true")
	}
	writeFile(t, p, "")
	if ok, _ := stillLinked(f, p); ok {
		t.Error("stillLinked after replacement = true")
	}
	// A symlink at the lock path is never followed.
	link := filepath.Join(dir, "61185")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	if g, state, err := lockUID(link); err != nil || state != lockBusy {
		if g != nil {
			g.Close()
		}
		t.Errorf("lockUID on symlink = %v, %v, want busy", state, err)
	}
}

func TestConcurrentAcquireGoroutines(t *testing.T) {
	a := newTestAllocator(t, testMin, testMin+39)
	const n = 30
	users := make([]*User, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half share one name so they all race for the same hash UID.
			name := "c-same"
			if i%2 == 1 {
				name = fmt.Sprintf("c-g%d", i)
			}
			users[i], errs[i] = a.Acquire(name, nil)
		}()
	}
	wg.Wait()
	seen := map[uint32]int{}
	for i, u := range users {
		if errs[i] != nil {
			t.Errorf("goroutine %d: %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { u.Release() })
		if j, dup := seen[u.UID]; dup {
			t.Errorf("UID %d handed to goroutines %d and %d", u.UID, j, i)
		}
		seen[u.UID] = i
	}
}

// TestHelperAcquire is run as a child process by
// TestConcurrentAcquireProcesses; it holds a UID until stdin closes.
func TestHelperAcquire(t *testing.T) {
	dir := os.Getenv("DYNUSER_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	min, _ := strconv.ParseUint(os.Getenv("DYNUSER_HELPER_MIN"), 10, 32)
	max, _ := strconv.ParseUint(os.Getenv("DYNUSER_HELPER_MAX"), 10, 32)
	a := &Allocator{
		LockDir: filepath.Join(dir, "dynamic-uid"),
		UserDB:  filepath.Join(dir, "userdb"),
		Etc:     filepath.Join(dir, "etc"),
		proc:    filepath.Join(dir, "proc"),
		Min:     uint32(min),
		Max:     uint32(max),
	}
	u, err := a.Acquire("c-proc", nil)
	if err != nil {
		fmt.Printf("error %v\n", err)
		return
	}
	fmt.Printf("uid %d\n", u.UID)
	io.Copy(io.Discard, os.Stdin)
	u.Release()
}

func TestConcurrentAcquireProcesses(t *testing.T) {
	if os.Getenv("DYNUSER_HELPER_DIR") != "" {
		t.Skip("in helper process")
	}
	a := newTestAllocator(t, testMin, testMin+19)
	dir := filepath.Dir(a.LockDir)
	const n = 8
	type child struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Reader
	}
	children := make([]child, n)
	for i := range children {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAcquire$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			"DYNUSER_HELPER_DIR="+dir,
			fmt.Sprintf("DYNUSER_HELPER_MIN=%d", a.Min),
			fmt.Sprintf("DYNUSER_HELPER_MAX=%d", a.Max))
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children[i] = child{cmd, stdin, bufio.NewReader(stdout)}
		defer func() {
			stdin.Close()
			cmd.Wait()
		}()
	}
	seen := map[uint32]int{}
	for i, c := range children {
		line, err := c.out.ReadString('\n')
		if err != nil {
			t.Fatalf("child %d: %v", i, err)
		}
		var uid uint32
		if _, err := fmt.Sscanf(line, "uid %d", &uid); err != nil {
			t.Fatalf("child %d: %q", i, line)
		}
		if j, dup := seen[uid]; dup {
			t.Errorf("UID %d held by children %d and %d", uid, j, i)
		}
		seen[uid] = i
	}
	if len(seen) != n {
		t.Errorf("%d distinct UIDs, want %d", len(seen), n)
	}
	for _, c := range children {
		c.stdin.Close()
		c.cmd.Wait()
	}
	if entries, _ := os.ReadDir(a.LockDir); len(entries) != 0 {
		t.Errorf("lock files left after children released: %v", entries)
	}
}
