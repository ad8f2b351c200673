package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/fstree"
)

// deepHomeScript builds levels nested directories "d" in the capsule's
// home, then runs more (Python, in the deepest one). Everything is
// imported first: at that depth the current directory has no path that
// getcwd could return, and Python's import would keep trying.
func deepHomeScript(levels int, more string) string {
	return fmt.Sprintf(`/usr/bin/python3 -c '
import os, socket, subprocess
os.chdir(os.path.expanduser("~"))
for i in range(%d):
    os.mkdir("d"); os.chdir("d")
%s'`, levels, more)
}

// wipeHome removes what a failed clean left of a capsule's home, with a
// remover that copes with any depth, before the capsule's own cleanup
// checks that nothing is left.
func wipeHome(t *testing.T, capsule string) {
	t.Cleanup(func() {
		for _, p := range []string{"/var/lib/capsules/" + capsule, homeOf(capsule)} {
			if err := fstree.RemoveAll(p); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
}

// systemManagerPID finds the test's capsuled --system.
func systemManagerPID(t *testing.T) int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	for _, d := range entries {
		var pid int
		if _, err := fmt.Sscan(d.Name(), &pid); err != nil || pid <= 0 {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if filepath.Base(args[0]) == "capsuled" && strings.Contains(string(b), "\x00--runtime-dir="+e.runtimeDir+"\x00") {
			return pid
		}
	}
	t.Fatal("the test's system manager is not running")
	return 0
}

// openFDs counts the descriptors process pid has open.
func openFDs(pid int) int {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(entries)
}

// cleanWatched runs clean --what=all of a capsule while another goroutine
// checks that the system manager keeps answering calls and watches its
// descriptors. It returns clean's result, the most descriptors seen above
// the count before, and the calls that failed meanwhile.
func cleanWatched(t *testing.T, capsule string) (r result, extraFDs int, failed []string) {
	t.Helper()
	pid := systemManagerPID(t)
	base := openFDs(pid)
	var peak atomic.Int64
	var done atomic.Bool
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for !done.Load() {
			if n := int64(openFDs(pid)); n > peak.Load() {
				peak.Store(n)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	go func() {
		defer wg.Done()
		for !done.Load() {
			if lr := ctlRun(nil, "list-units", "--no-pager"); lr.code != 0 {
				mu.Lock()
				failed = append(failed, fmt.Sprintf("%.300s", lr))
				mu.Unlock()
			}
		}
	}()
	r = ctlRun(nil, "clean", "--what=all", "capsule@"+capsule+".service")
	done.Store(true)
	wg.Wait()
	// And after it: the manager still serves.
	if lr := ctlRun(nil, "list-units", "--no-pager"); lr.code != 0 {
		failed = append(failed, fmt.Sprintf("after clean: %.300s", lr))
	}
	return r, int(peak.Load()) - base, failed
}

// checkCleaned checks what clean --what=all of a deep home must leave: no
// home, a short message, bounded descriptors, a manager that answered.
func checkCleaned(t *testing.T, capsule string, r result, extraFDs int, failed []string) {
	t.Helper()
	if r.code != 0 {
		t.Errorf("clean --what=all failed (exit %d, %d bytes on stderr): %.500s", r.code, len(r.stderr), r.stderr)
	}
	if n := len(r.stdout) + len(r.stderr); n > 1024 {
		t.Errorf("clean printed %d bytes", n)
	}
	for _, p := range []string{"/var/lib/capsules/" + capsule, homeOf(capsule)} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s still exists after clean --what=all (%v)", p, err)
		}
	}
	// The remover needs at most fstree.MaxOpenDirs; the rest is room for
	// the calls made meanwhile.
	if extraFDs > 64 {
		t.Errorf("the system manager held up to %d more descriptors while cleaning", extraFDs)
	}
	if len(failed) > 0 {
		t.Errorf("%d calls to the system manager failed during or after the clean, the first: %s", len(failed), failed[0])
	}
}

// TestEscapeDeepHomeBreaksClean has a capsule nest 25,000 directories in
// its home, more than the system manager may have descriptors open. Once
// it is stopped, clean --what=all still removes the home, with a short
// message if any, while the manager keeps few descriptors and answers
// other calls.
func TestEscapeDeepHomeBreaksClean(t *testing.T) {
	name := startCapsule(t, "deep")
	wipeHome(t, name)
	inCapsule(t, name, 0, deepHomeScript(25000, `open("bottom", "w").write("x")`))
	ctl(t, 0, "stop", "capsule@"+name+".service")
	r, extra, failed := cleanWatched(t, name)
	checkCleaned(t, name, r, extra, failed)
}

// fileID is what a file's identity and ownership are before and after.
type fileID struct {
	ino, nlink   uint64
	mode, uid    uint32
	ctime, mtime syscall.Timespec
}

func idOf(t *testing.T, path string) fileID {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return fileID{ino: st.Ino, nlink: uint64(st.Nlink), mode: st.Mode, uid: st.Uid, ctime: st.Ctim, mtime: st.Mtim}
}

// TestEscapeHostileHomeEntries fills a capsule's home, at the top and at
// the bottom of 21,000 nested directories, with what a remover must not
// open or follow: a FIFO, a listening socket, symbolic links to
// /etc/passwd, to root-owned directories and to "/", hard links, and
// directories of mode 000. clean --what=all removes all of it and
// changes nothing outside. The capsule cannot make a file immutable or
// create a device node, so neither can stop the clean.
func TestEscapeHostileHomeEntries(t *testing.T) {
	name := startCapsule(t, "hent")
	wipeHome(t, name)
	outside := []string{"/etc/passwd", "/etc", "/root", "/", "/var/lib/private"}
	before := map[string]fileID{}
	for _, p := range outside {
		before[p] = idOf(t, p)
	}
	hostile := `
def fill():
    os.mkfifo("fifo")
    s = socket.socket(socket.AF_UNIX); s.bind("sock"); s.listen(1)
    os.symlink("/etc/passwd", "passwd"); os.symlink("/root", "root"); os.symlink("/etc", "etc")
    os.symlink("/", "slash"); os.symlink("..", "up")
    open("mine", "w").write("x"); os.link("mine", "mine.link"); os.link("mine", "mine.link2")
    os.makedirs("locked/a/b"); open("locked/a/b/f", "w")
    os.symlink("/etc", "locked/a/b/etc")
    for d in ("locked/a/b", "locked/a", "locked"): os.chmod(d, 0)
    os.mkdir("empty000", 0)
    for cmd in (["chattr", "+i", "mine"], ["mknod", "null", "c", "1", "3"]):
        if subprocess.run(cmd, stderr=subprocess.DEVNULL).returncode == 0:
            print("ALLOWED", cmd)
    return s
top = fill()
`
	r := inCapsule(t, name, 0, `cd && /usr/bin/python3 -c 'import os, socket, subprocess`+hostile+`' && `+
		deepHomeScript(21000, strings.ReplaceAll(hostile, "top = fill()", "bottom = fill()")))
	if strings.Contains(r.stdout, "ALLOWED") {
		t.Errorf("the capsule could do what a remover may not be able to undo:\n%s", r.stdout)
	}
	ctl(t, 0, "stop", "capsule@"+name+".service")
	cr, extra, failed := cleanWatched(t, name)
	checkCleaned(t, name, cr, extra, failed)
	for _, p := range outside {
		if now := idOf(t, p); now != before[p] {
			t.Errorf("%s changed: %+v, was %+v", p, now, before[p])
		}
	}
}
