package e2e

import (
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// uringBuild compiles testdata/uring_suid.c once per test process.
var uringBuild = sync.OnceValues(func() (string, error) {
	out := filepath.Join(e.bin, "uring_suid")
	b, err := osexec.Command("gcc", "-static", "-O2", "-o", out, "testdata/uring_suid.c").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("gcc: %v\n%s", err, b)
	}
	return out, nil
})

// setIDFiles lists what below dir has a set-user-ID or set-group-ID bit.
func setIDFiles(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
			found = append(found, fmt.Sprintf("%s %v", p, fi.Mode()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestEscapeSetuidViaIOUring: open(O_CREAT, 04755) is refused by the
// RestrictSUIDSGID= filter, but io_uring's IORING_OP_OPENAT and MKDIRAT
// never pass through it. A capsule must not get io_uring at all, and no
// set-ID file may appear in its home.
func TestEscapeSetuidViaIOUring(t *testing.T) {
	bin, err := uringBuild()
	if err != nil {
		t.Fatal(err)
	}
	name := startCapsule(t, "uring")
	home := "/var/lib/private/capsules/" + name
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "uring_suid"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	r := inCapsule(t, name, 0, `cd "$HOME" && ./uring_suid suid-file sgid-dir`)
	// ENOSYS, as on a kernel without io_uring, so programs fall back.
	if !strings.Contains(r.stdout, "setup: errno 38\n") {
		t.Errorf("io_uring_setup in the capsule did not fail with ENOSYS:\n%s", r.stdout)
	}
	if found := setIDFiles(t, home); len(found) > 0 {
		t.Errorf("set-ID files made through io_uring in the capsule's home:\n%s", strings.Join(found, "\n"))
	}
}
