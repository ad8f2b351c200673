package e2e

import (
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCleanLogsRemovesManagerOutput has a unit in a capsule print a marker,
// which reaches the system manager's stored output of capsule@X.service
// through the capsule manager's stderr. After clean --what=logs (or all)
// the marker is nowhere in that log, and it never was in the system
// manager's own log (its stderr), which clean cannot reach.
func TestCleanLogsRemovesManagerOutput(t *testing.T) {
	for _, what := range []string{"logs", "all"} {
		t.Run(what, func(t *testing.T) {
			name := startCapsule(t, "cln")
			unit := "capsule@" + name + ".service"
			ctl(t, 0, "stop", unit)
			marker := fmt.Sprintf("marker-%s-%d", what, time.Now().UnixNano())
			bootUnit(t, name, "say.service", "[Service]\nType=oneshot\nExecStart=/bin/echo "+marker+"\n\n"+
				"[Install]\nWantedBy=capsule@.target\n")
			ctl(t, 0, "start", unit)
			waitRunning(t, name)
			waitLog(t, unit, marker)
			ctl(t, 0, "stop", unit)
			ctl(t, 0, "clean", "--what="+what, unit)
			if r := ctl(t, 0, "logs", "-u", unit, "-n", "10000"); strings.Contains(r.stdout, marker) {
				t.Errorf("after clean --what=%s the system manager's log of %s still holds %s:\n%s", what, unit, marker, r.stdout)
			}
			if r := ctlRun(nil, "status", "-n", "10000", unit); strings.Contains(r.stdout, marker) {
				t.Errorf("after clean --what=%s status of %s still shows %s:\n%s", what, unit, marker, r.stdout)
			}
			// Nor did it ever reach the system manager's own log, which
			// clean cannot reach.
			if b, err := os.ReadFile(e.log); err != nil || strings.Contains(string(b), marker) {
				t.Errorf("the system manager's own log holds %s (or cannot be read: %v)", marker, err)
			}
		})
	}
}

// waitLog waits until the system manager's log of unit contains s.
func waitLog(t *testing.T, unit, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var r result
	for time.Now().Before(deadline) {
		if r = ctlRun(nil, "logs", "-u", unit, "-n", "10000"); strings.Contains(r.stdout, s) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%q never reached the log of %s: %s", s, unit, r)
}

// TestEscapeLeadingDashName uses names that start with a dash, which unit
// names and relaxed user names allow, wherever capsuled passes a name to a
// program: a capsule -NAME (its user c--NAME, its manager, its bus broker)
// and a system unit whose User= starts with a dash (resolved through NSS
// by getent). None may be taken for an option.
func TestEscapeLeadingDashName(t *testing.T) {
	t.Run("capsule", func(t *testing.T) {
		name := startCapsule(t, "-dash")
		unit := "capsule@" + name + ".service"
		if r := inCapsule(t, name, 0, "id -un"); strings.TrimSpace(r.stdout) != "c-"+name {
			t.Errorf("id -un in capsule %s: %s", name, r)
		}
		ctl(t, 0, "-C", name, "bus", "list")
		ctl(t, 0, "stop", unit)
		ctl(t, 0, "clean", "--what=all", unit)
		if _, ok := capsuleUID(t, name); ok {
			t.Errorf("c-%s still resolves after stop and clean", name)
		}
	})
	t.Run("User=", func(t *testing.T) {
		user := fmt.Sprintf("-dashu%d", os.Getpid()%100000)
		uid := freeStaticID(t)
		publishUser(t, user, uid)
		unit := fmt.Sprintf("dashuser%d.service", os.Getpid()%100000)
		systemUnit(t, unit, "[Service]\nType=oneshot\nRemainAfterExit=yes\nUser="+user+"\n"+
			"ExecStart=/bin/sh -c 'echo running as $(id -u)'\n")
		ctl(t, 0, "start", unit)
		want := fmt.Sprintf("running as %d", uid)
		if r := ctl(t, 0, "logs", "-u", unit); !strings.Contains(r.stdout, want) {
			t.Errorf("unit with User=%s: no %q in its log:\n%s", user, want, r.stdout)
		}
	})
}

// freeStaticID picks an ID below the dynamic range that NSS knows neither
// as a user nor as a group.
func freeStaticID(t *testing.T) int {
	t.Helper()
	for id := 4700 + os.Getpid()%200; id < 5000; id++ {
		s := strconv.Itoa(id)
		if osexec.Command("getent", "passwd", s).Run() != nil && osexec.Command("getent", "group", s).Run() != nil {
			return id
		}
	}
	t.Fatal("no free ID in 4700-4999")
	return 0
}

// publishUser adds a user record for name with uid to /run/userdb, where
// NSS finds it, and removes it when the test ends.
func publishUser(t *testing.T, name string, uid int) {
	t.Helper()
	rec := fmt.Sprintf(`{"userName":%q,"uid":%d,"gid":%d,"realName":"e2e","homeDirectory":"/","shell":"/usr/sbin/nologin","disposition":"regular"}`,
		name, uid, uid)
	file := filepath.Join("/run/userdb", name+".user")
	link := filepath.Join("/run/userdb", strconv.Itoa(uid)+".user")
	t.Cleanup(func() {
		os.Remove(link)
		os.Remove(file)
	})
	if err := os.WriteFile(file, []byte(rec+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(name+".user", link); err != nil {
		t.Fatal(err)
	}
}
