package listen

import (
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// racer runs step over and over on a thread of its own until the test
// ends.
func racer(t *testing.T, step func()) {
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for !stop.Load() {
			step()
		}
	}()
	t.Cleanup(func() { stop.Store(true); <-done })
}

// A FIFO someone else puts at the name between the manager's mkfifo and
// open is never taken: the opened FIFO must be the manager's, and its
// mode is left alone.
func TestFIFOSwappedAfterMkfifo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	theirs := filepath.Join(dir, "theirs")
	racer(t, func() {
		// Theirs replaces the manager's as soon as it appears.
		if unix.Mkfifo(theirs, 0o600) == nil {
			os.Lchown(theirs, 65534, 65534)
		}
		var st unix.Stat_t
		if unix.Lstat(path, &st) == nil && st.Uid == 0 {
			unix.Rename(theirs, path)
		}
	})
	s := Spec{Kind: FIFO, Path: path}
	o := Defaults()
	o.SocketMode = 0o666
	for i := 0; i < 1500; i++ {
		f, _, err := Open(s, &o)
		if err != nil {
			Remove(s)
			continue
		}
		var st unix.Stat_t
		unix.Fstat(int(f.Fd()), &st)
		f.Close()
		Remove(s)
		if int(st.Uid) != os.Geteuid() {
			t.Fatalf("after %d tries the manager took UID %d's FIFO, mode now %o", i+1, st.Uid, st.Mode&0o7777)
		}
	}
}

// A directory someone else puts at the name between the manager's mkdir
// and its open keeps its mode: the manager checks what it opened before
// giving it DirectoryMode=.
func TestDirSwappedAfterMkdir(t *testing.T) {
	base := t.TempDir()
	theirs := filepath.Join(base, "theirs")
	if err := os.Mkdir(theirs, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(theirs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(base, "d")
	racer(t, func() {
		// Theirs replaces the manager's new, empty directory as soon
		// as it appears.
		var st unix.Stat_t
		if unix.Lstat(d, &st) == nil && st.Uid == 0 {
			unix.Rename(theirs, d)
		}
	})
	for i := 0; i < 1500; i++ {
		fd, err := openDir(d, true, 0o755)
		if err == nil {
			unix.Close(fd)
		}
		var st unix.Stat_t
		for _, p := range []string{theirs, d} {
			if unix.Lstat(p, &st) == nil && st.Uid == 65534 && st.Mode&0o7777 != 0o700 {
				t.Fatalf("after %d tries the manager gave UID 65534's directory mode %o", i+1, st.Mode&0o7777)
			}
		}
		if unix.Lstat(d, &st) == nil && st.Uid == 65534 {
			unix.Rename(d, theirs)
		} else {
			unix.Rmdir(d)
		}
	}
}
