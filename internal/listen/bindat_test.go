package listen

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// A directory of the socket's path swapped with a foreign link over and
// over (renameat2 RENAME_EXCHANGE) never gets the socket made in the
// link's target: bind goes through the directory the walk holds.
func TestBindRaceSwappedDirectory(t *testing.T) {
	base := t.TempDir()
	victim := t.TempDir()
	if err := os.Mkdir(filepath.Join(base, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	evil := filepath.Join(base, "evil")
	if err := os.Symlink(victim, evil); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(evil, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for !stop.Load() {
			unix.Renameat2(unix.AT_FDCWD, filepath.Join(base, "sub"), unix.AT_FDCWD, evil, unix.RENAME_EXCHANGE)
		}
	}()
	defer func() { stop.Store(true); <-done }()
	s := Spec{Kind: Stream, Path: filepath.Join(base, "sub", "s.sock")}
	o := Defaults()
	bound := 0
	for i := 0; i < 1500; i++ {
		f, _, err := Open(s, &o)
		if err == nil {
			bound++
			if sa, err := unix.Getsockname(int(f.Fd())); err != nil || sa.(*unix.SockaddrUnix).Name != s.Path {
				t.Errorf("bound as %+v (%v), want the address %s", sa, err, s.Path)
			}
			f.Close()
		}
		if es, _ := os.ReadDir(victim); len(es) > 0 {
			t.Fatalf("after %d tries the socket was made in the link's target: %s", i+1, es[0].Name())
		}
		Remove(s)
	}
	if bound == 0 {
		t.Error("no try bound at all")
	}
}

// A name that does not fit /proc/self/fd/N/NAME in sun_path is still
// bound in the held directory, under its full configured path.
func TestBindLongName(t *testing.T) {
	base := t.TempDir()
	name := strings.Repeat("n", sunPathMax-1-len(base)-1)
	s := Spec{Kind: Stream, Path: filepath.Join(base, name)}
	if len(s.Path) != sunPathMax-1 {
		t.Fatalf("path is %d long", len(s.Path))
	}
	o := Defaults()
	f, _, err := Open(s, &o)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sa, err := unix.Getsockname(int(f.Fd())); err != nil || sa.(*unix.SockaddrUnix).Name != s.Path {
		t.Errorf("bound as %+v (%v), want the address %s", sa, err, s.Path)
	}
	var st unix.Stat_t
	if err := unix.Lstat(s.Path, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		t.Fatalf("no socket at the path: %v", err)
	}
	c, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(c)
	if err := unix.Connect(c, &unix.SockaddrUnix{Name: s.Path}); err != nil {
		t.Errorf("connect: %v", err)
	}
}

// Binding from a thread with a private mount namespace leaves the
// process's own view alone: the mount namespace and root /proc/self
// shows (those of the main thread) stay the host's, however often it
// binds.
func TestBindLeavesProcessNamespace(t *testing.T) {
	before, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	o := Defaults()
	for i := 0; i < 200; i++ {
		s := Spec{Kind: Stream, Path: filepath.Join(dir, "s.sock")}
		f, _, err := Open(s, &o)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		Remove(s)
	}
	if after, err := os.Readlink("/proc/self/ns/mnt"); err != nil || after != before {
		t.Errorf("the process's mount namespace is %s (%v), was %s", after, err, before)
	}
	if root, err := os.Readlink("/proc/self/root"); err != nil || root != "/" {
		t.Errorf("the process's root is %q (%v)", root, err)
	}
}
