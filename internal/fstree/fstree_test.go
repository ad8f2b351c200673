package fstree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// deepChain creates depth nested directories named name below dir,
// working relative to descriptors so the path may exceed PATH_MAX, and
// calls at (if not nil) in each with the directory open.
func deepChain(t *testing.T, dir, name string, depth int, at func(fd, level int)) {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range depth {
		if err := unix.Mkdirat(fd, name, 0o755); err != nil {
			t.Fatalf("mkdir at level %d: %v", i, err)
		}
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
		fd = next
		if at != nil {
			at(fd, i)
		}
	}
	unix.Close(fd)
}

func writeAt(t *testing.T, fd int, name string) {
	t.Helper()
	f, err := unix.Openat(fd, name, unix.O_CREAT|unix.O_WRONLY|unix.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(f)
}

// outside holds files a hostile tree points at; they must survive.
type outside struct {
	file, dir string
}

func newOutside(t *testing.T) outside {
	base := t.TempDir()
	o := outside{file: filepath.Join(base, "precious"), dir: filepath.Join(base, "keep")}
	if err := os.WriteFile(o.file, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(o.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(o.dir, "inside"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return o
}

func (o outside) check(t *testing.T) {
	t.Helper()
	if b, err := os.ReadFile(o.file); err != nil || string(b) != "precious" {
		t.Errorf("file outside the tree changed: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(o.dir, "inside")); err != nil {
		t.Errorf("directory outside the tree changed: %v", err)
	}
}

// trees are hostile shapes; each builds below top (which exists).
var trees = []struct {
	name  string
	build func(t *testing.T, top string, o outside)
}{
	{"empty", func(t *testing.T, top string, o outside) {}},
	{"special files", func(t *testing.T, top string, o outside) {
		must(t, unix.Mkfifo(filepath.Join(top, "fifo"), 0o644))
		must(t, unix.Mknod(filepath.Join(top, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
		must(t, unix.Mknod(filepath.Join(top, "disk"), unix.S_IFBLK|0o600, int(unix.Mkdev(7, 0))))
		sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
		must(t, err)
		defer unix.Close(sock)
		must(t, unix.Bind(sock, &unix.SockaddrUnix{Name: filepath.Join(top, "sock")}))
		must(t, os.Symlink(o.file, filepath.Join(top, "to-file")))
		must(t, os.Symlink(o.dir, filepath.Join(top, "to-dir")))
		must(t, os.Symlink("/", filepath.Join(top, "to-root")))
		must(t, os.Symlink("..", filepath.Join(top, "to-parent")))
		must(t, os.Link(o.file, filepath.Join(top, "hardlink")))
		must(t, os.Mkdir(filepath.Join(top, "sub"), 0o755))
		must(t, os.Symlink(o.dir, filepath.Join(top, "sub", "to-dir")))
	}},
	{"mode 000 directories", func(t *testing.T, top string, o outside) {
		d := filepath.Join(top, "a", "b")
		must(t, os.MkdirAll(d, 0o755))
		must(t, os.WriteFile(filepath.Join(d, "f"), nil, 0))
		must(t, os.Chmod(d, 0))
		must(t, os.Chmod(filepath.Join(top, "a"), 0))
		must(t, os.Mkdir(filepath.Join(top, "empty"), 0))
	}},
	{"odd names", func(t *testing.T, top string, o outside) {
		for _, n := range []string{"-rf", " ", "\n", "\xff\xfe", "...", " .. ", strings.Repeat("x", 255), "*"} {
			must(t, os.WriteFile(filepath.Join(top, n), nil, 0o644))
			must(t, os.Mkdir(filepath.Join(top, "d"+n[min(1, len(n)-1):]), 0o755))
		}
	}},
	{"longer than PATH_MAX", func(t *testing.T, top string, o outside) {
		// 200 levels of 250-byte names: a 50 KB path.
		deepChain(t, top, strings.Repeat("n", 250), 200, func(fd, level int) {
			if level%50 == 0 {
				writeAt(t, fd, "f")
			}
		})
	}},
	{"deep", func(t *testing.T, top string, o outside) {
		deepChain(t, top, "d", 2000, nil)
	}},
	{"deep with siblings", func(t *testing.T, top string, o outside) {
		// Each level has directories before and after the one that
		// goes on, and files: they are reached again after the walk
		// climbs back through re-opened descriptors.
		deepChain(t, top, "m", 60, func(fd, level int) {
			for i := range 5 {
				n := fmt.Sprintf("s%d", i)
				must(t, unix.Mkdirat(fd, n, 0o755))
				sub, err := unix.Openat(fd, n, unix.O_RDONLY|unix.O_DIRECTORY, 0)
				must(t, err)
				writeAt(t, sub, "x")
				unix.Close(sub)
				writeAt(t, fd, fmt.Sprintf("f%d", i))
			}
		})
	}},
	{"wide", func(t *testing.T, top string, o outside) {
		for i := range 2000 {
			p := filepath.Join(top, fmt.Sprintf("entry-%d", i))
			if i%10 == 0 {
				must(t, os.Mkdir(p, 0o755))
				must(t, os.WriteFile(filepath.Join(p, "f"), nil, 0o644))
			} else {
				must(t, os.WriteFile(p, nil, 0o644))
			}
		}
	}},
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// boundFDs lets the test process open at most n more descriptors until
// the returned function restores the limit: a walk needing more fails
// with EMFILE. Free numbers below the highest open descriptor are filled
// first, so the limit counts exactly.
func boundFDs(t *testing.T, n int) func() {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	must(t, err)
	highest := 0
	for _, e := range entries {
		var fd int
		if _, err := fmt.Sscan(e.Name(), &fd); err == nil {
			highest = max(highest, fd)
		}
	}
	var fill []int
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		must(t, err)
		if fd > highest {
			unix.Close(fd)
			break
		}
		fill = append(fill, fd)
	}
	var old unix.Rlimit
	must(t, unix.Getrlimit(unix.RLIMIT_NOFILE, &old))
	must(t, unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: uint64(highest + 1 + n), Max: old.Max}))
	return func() {
		must(t, unix.Setrlimit(unix.RLIMIT_NOFILE, &old))
		for _, fd := range fill {
			unix.Close(fd)
		}
	}
}

func countFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	must(t, err)
	return len(entries)
}

func TestRemoveAll(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (device nodes, mode 000 directories of another owner)")
	}
	for _, tc := range trees {
		t.Run(tc.name, func(t *testing.T) {
			o := newOutside(t)
			top := filepath.Join(t.TempDir(), "top")
			must(t, os.Mkdir(top, 0o755))
			tc.build(t, top, o)
			before := countFDs(t)
			restore := boundFDs(t, MaxOpenDirs)
			err := RemoveAll(top)
			restore()
			if err != nil {
				t.Fatalf("RemoveAll: %v", err)
			}
			if after := countFDs(t); after != before {
				t.Errorf("%d descriptors open before, %d after", before, after)
			}
			if _, err := os.Lstat(top); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s still exists: %v", top, err)
			}
			o.check(t)
		})
	}
}

func TestRemoveAllTop(t *testing.T) {
	o := newOutside(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		build func(p string) error
	}{
		{"missing", func(p string) error { return nil }},
		{"symlink to a directory", func(p string) error { return os.Symlink(o.dir, p) }},
		{"symlink to a file", func(p string) error { return os.Symlink(o.file, p) }},
		{"dangling symlink", func(p string) error { return os.Symlink("/nonexistent", p) }},
		{"file", func(p string) error { return os.WriteFile(p, nil, 0o644) }},
		{"fifo", func(p string) error { return unix.Mkfifo(p, 0o644) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			must(t, tc.build(p))
			if err := RemoveAll(p); err != nil {
				t.Fatalf("RemoveAll: %v", err)
			}
			if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s still exists: %v", p, err)
			}
			o.check(t)
		})
	}
	if err := RemoveAll("/"); err == nil {
		t.Error("RemoveAll(\"/\") did not refuse")
	}
}

// TestRemoveAllShortError has an entry that cannot be removed at the
// bottom of a tree deeper than PATH_MAX: the error names the top and the
// depth, not the path.
func TestRemoveAllShortError(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (chattr +i)")
	}
	top := filepath.Join(t.TempDir(), "top")
	must(t, os.Mkdir(top, 0o755))
	var bottom string
	deepChain(t, top, strings.Repeat("y", 200), 100, func(fd, level int) {
		if level == 99 {
			writeAt(t, fd, "stuck")
			bottom = fmt.Sprintf("/proc/self/fd/%d/stuck", fd)
			if err := setImmutable(bottom, true); err != nil {
				t.Skipf("cannot make a file immutable here: %v", err)
			}
		}
	})
	// The immutable flag must go again so TempDir's cleanup works.
	defer func() {
		deepChain2(t, top, strings.Repeat("y", 200), 100, func(fd int) {
			setImmutable(fmt.Sprintf("/proc/self/fd/%d/stuck", fd), false)
		})
	}()
	err := RemoveAll(top)
	if err == nil {
		t.Fatal("RemoveAll removed an immutable file")
	}
	var te *TreeError
	if !errors.As(err, &te) || te.Depth != 100 || !errors.Is(err, unix.EPERM) {
		t.Errorf("error %q (%#v): want a TreeError at depth 100 wrapping EPERM", err, te)
	}
	if len(err.Error()) > 200 {
		t.Errorf("error is %d bytes long: %.300s", len(err.Error()), err)
	}
}

// deepChain2 walks an existing chain and calls at with the bottom open.
func deepChain2(t *testing.T, dir, name string, depth int, at func(fd int)) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return
	}
	for range depth {
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		unix.Close(fd)
		if err != nil {
			return
		}
		fd = next
	}
	at(fd)
	unix.Close(fd)
}

// fsImmutableFL is FS_IMMUTABLE_FL of linux/fs.h.
const fsImmutableFL = 0x10

// setImmutable sets or clears FS_IMMUTABLE_FL, as chattr does.
func setImmutable(path string, on bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	flags, err := unix.IoctlGetInt(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return err
	}
	if on {
		flags |= fsImmutableFL
	} else {
		flags &^= fsImmutableFL
	}
	return unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, flags)
}

func TestChown(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	const uid, gid = 54321, 54322
	for _, tc := range trees {
		t.Run(tc.name, func(t *testing.T) {
			o := newOutside(t)
			top := filepath.Join(t.TempDir(), "top")
			must(t, os.Mkdir(top, 0o755))
			tc.build(t, top, o)
			// The tree's previous owner, as for a capsule's home.
			must(t, os.Lchown(top, 54000, 54000))
			suid := filepath.Join(top, "suid")
			must(t, os.WriteFile(suid, nil, 0o755))
			must(t, os.Chmod(suid, 0o755|fs.ModeSetuid|fs.ModeSetgid))
			before := countFDs(t)
			restore := boundFDs(t, MaxOpenDirs)
			err := Chown(top, uid, gid)
			restore()
			if err != nil {
				t.Fatalf("Chown: %v", err)
			}
			if after := countFDs(t); after != before {
				t.Errorf("%d descriptors open before, %d after", before, after)
			}
			// find(1) reads trees deeper than PATH_MAX on its own. The
			// hard link to the outside file is left alone on purpose.
			out, err := execOutput("find", top, "!", "-name", "hardlink", "(", "!", "-uid", fmt.Sprint(uid), "-o", "!", "-gid", fmt.Sprint(gid), "-o", "-perm", "/6000", ")", "-printf", "%d %m %u:%g %y\\n")
			if err != nil || out != "" {
				t.Errorf("entries not re-owned or still set-ID: %q %v", out, err)
			}
			var st syscall.Stat_t
			must(t, syscall.Stat(o.file, &st))
			if st.Uid == uid {
				t.Errorf("a file outside the tree was re-owned through a link")
			}
			must(t, syscall.Stat(o.dir, &st))
			if st.Uid == uid {
				t.Errorf("a directory outside the tree was re-owned through a symlink")
			}
		})
	}
}
