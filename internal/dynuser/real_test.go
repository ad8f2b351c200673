package dynuser

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRealUserDB publishes a user in the system's /run/userdb and checks
// that glibc resolves it through nss-systemd.
func TestRealUserDB(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("writing /run/userdb needs root")
	}
	getent, err := exec.LookPath("getent")
	if err != nil {
		t.Skip("getent not installed")
	}
	name := fmt.Sprintf("c-dyntest%d", os.Getpid()%100000)
	home := "/nonexistent/" + name
	// A temporary lock directory keeps the test off real allocations; the
	// narrow range at the top avoids ids in use on the machine, which the
	// collision checks against /etc and /run/userdb skip anyway.
	a := &Allocator{LockDir: filepath.Join(t.TempDir(), "dynamic-uid"), Min: 65400, Max: 65519}

	u, err := a.Acquire(name, nil)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	t.Cleanup(func() {
		if err := u.Release(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	if u.Static {
		t.Fatalf("%s unexpectedly exists in /etc/passwd", name)
	}
	if err := a.Publish(u, home); err != nil {
		t.Fatalf("Publish: %v", err)
	}

	out, err := exec.Command(getent, "passwd", name).Output()
	if err != nil {
		t.Skipf("getent passwd %s does not resolve /run/userdb records (nss-systemd not configured?): %v", name, err)
	}
	uid := strconv.FormatUint(uint64(u.UID), 10)
	want := strings.Join([]string{name, "x", uid, uid, "Dynamic User", home, "/usr/sbin/nologin"}, ":")
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("getent passwd = %q, want %q", got, want)
	}
	if out, err := exec.Command(getent, "passwd", uid).Output(); err != nil || !strings.HasPrefix(string(out), name+":") {
		t.Errorf("getent passwd %s = %q, %v", uid, out, err)
	}
	out, err = exec.Command(getent, "group", name).Output()
	if err != nil {
		t.Errorf("getent group %s: %v", name, err)
	} else if got := strings.TrimSpace(string(out)); !strings.HasPrefix(got, name+":x:"+uid+":") {
		t.Errorf("getent group = %q", got)
	}
	if got, ok := a.Lookup(name); !ok || got != u.UID {
		t.Errorf("Lookup = %d, %v", got, ok)
	}

	if err := u.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
	for _, db := range []string{"passwd", "group"} {
		err := exec.Command(getent, db, name).Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Errorf("getent %s %s after Release: %v, want not found", db, name, err)
		}
	}
}
