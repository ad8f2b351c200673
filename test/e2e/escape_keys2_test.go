package e2e

import (
	"bufio"
	"fmt"
	"os"
	osexec "os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// keyUsers returns how many keys the kernel charges to uid
// (/proc/key-users).
func keyUsers(t *testing.T, uid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/key-users")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == strconv.Itoa(uid)+":" {
			n, _, _ := strings.Cut(f[2], "/")
			c, _ := strconv.Atoi(n)
			return c
		}
	}
	return 0
}

// TestEscapeKeysHiddenFromOwnerBlockNextUID: a capsule fills its UID's key
// quota with keys its own UID may not view but others may link, and a
// second capsule (another UID) links them, and the first one's session
// keyring, so that they outlive the first capsule. The next start on that
// UID must not get it while the keys exist (a one-UID manager then has no
// free UID), and once the second capsule stops, the UID is usable again,
// with a session keyring of its own.
func TestEscapeKeysHiddenFromOwnerBlockNextUID(t *testing.T) {
	needKeyctl(t)
	target := freeUID(t)
	m := newManager(t, "keyh", []string{fmt.Sprintf("--uid-range=%d-%d", target, target)}, nil)
	holder := startCapsule(t, "keyk")
	if uid, _ := capsuleUID(t, holder); uid == target {
		t.Fatalf("holder capsule got UID %d of the one-UID manager", uid)
	}

	atk := newCapsuleOn(t, m.env, "keyh")
	unit := "capsule@" + atk + ".service"
	if r := ctlRunEnv(m.env, "start", unit); r.code != 0 {
		t.Fatalf("start %s: %s", unit, r)
	}
	if uid, _ := capsuleUID(t, atk); uid != target {
		t.Fatalf("capsule %s got UID %d, want %d", atk, uid, target)
	}
	// Possessor all, other link: the owner itself may no longer see them.
	r := ctlRunEnv(m.env, "run", "-q", "-P", "-C", atk, "sh", "-c", `
		i=0
		while k=$(keyctl add user k$i x @s 2>/dev/null); do
			keyctl setperm "$k" 0x3f000010 || exit 1
			echo "$k"; i=$((i+1))
		done
		keyctl setperm @s 0x3f1b0010 && keyctl id @s`)
	if r.code != 0 || strings.Count(r.stdout, "\n") < 10 {
		t.Fatalf("filling the key quota: %s", r)
	}
	// The test relays the serials to the other capsule.
	serials := "/var/lib/private/capsules/" + holder + "/serials"
	if err := os.WriteFile(serials, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := ctlRun(nil, "run", "-q", "-P", "-C", holder, "sh", "-c",
		`for k in $(cat "$HOME/serials"); do keyctl link "$k" @u || exit 1; done`); r.code != 0 {
		t.Fatalf("linking the other capsule's keys: %s", r)
	}
	ctlRunEnv(m.env, "stop", unit)
	ctlRunEnv(m.env, "clean", "--what=all", unit)
	if n := keyUsers(t, target); n < 10 {
		t.Fatalf("UID %d has %d keys after its capsule stopped: the keys did not outlive it", target, n)
	}

	next := newCapsuleOn(t, m.env, "keyh")
	nextUnit := "capsule@" + next + ".service"
	r = ctlRunEnv(m.env, "start", nextUnit)
	if uid, _ := capsuleUID(t, next); r.code == 0 && uid == target {
		out := ctlRunEnv(m.env, "run", "-q", "-P", "-C", next, "sh", "-c", `keyctl rdescribe @s; keyctl add user mine x @s`)
		t.Errorf("UID %d with %d keys of its previous holder left was handed out again:\n%s", target, keyUsers(t, target), out)
	} else if r.code != 0 && !strings.Contains(r.String()+status(m.env, nextUnit), "no free dynamic UID") {
		t.Errorf("start on a manager whose only UID holds keys failed without saying why: %s", r)
	}
	ctlRunEnv(m.env, "stop", nextUnit)
	ctlRunEnv(m.env, "reset-failed", nextUnit)

	// The other capsule's keyrings are emptied at its release, and with
	// them go the last links to the keys.
	ctl(t, 0, "stop", "capsule@"+holder+".service")
	for i := 0; i < 200 && keyUsers(t, target) > 3; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := keyUsers(t, target); n > 3 {
		t.Fatalf("UID %d still has %d keys after the capsule that linked them stopped", target, n)
	}
	if r := ctlRunEnv(m.env, "start", nextUnit); r.code != 0 {
		t.Fatalf("start once the keys are gone: %s", r)
	}
	if uid, _ := capsuleUID(t, next); uid != target {
		t.Fatalf("capsule %s got UID %d, want %d", next, uid, target)
	}
	r = ctlRunEnv(m.env, "run", "-q", "-P", "-C", next, "sh", "-c", `keyctl rdescribe @s && keyctl add user mine x @s >/dev/null`)
	if want := fmt.Sprintf("keyring;%d;%d;", target, target); r.code != 0 || !strings.HasPrefix(r.stdout, want) {
		t.Errorf("the next holder of UID %d has no usable session keyring of its own: %s", target, r)
	}
}

// status returns what capsulectl status says about a unit.
func status(env []string, args ...string) string {
	r := ctlRunEnv(env, append([]string{"status"}, args...)...)
	return r.stdout + r.stderr
}

// TestEscapeSessionKeyringNotOwn: a unit with KeyringMode=private whose
// user's key quota is full cannot get a new session keyring. It must not
// start, rather than run with the keyring it would inherit instead (the
// system manager's, root's; or its capsule manager's). The allocator no
// longer hands out a dynamic UID whose quota another capsule holds, so
// the quota is filled by the user itself: a static user (irc, which
// nothing here runs as) by a process the test starts, and a capsule's UID
// by the capsule.
func TestEscapeSessionKeyringNotOwn(t *testing.T) {
	needKeyctl(t)
	probe := `keyctl rdescribe @s`
	t.Run("system", func(t *testing.T) {
		fill := osexec.Command("setpriv", "--reuid=irc", "--regid=irc", "--clear-groups",
			"keyctl", "session", "-", "sh", "-c",
			`i=0; while keyctl add user k$i x @s >/dev/null 2>&1; do i=$((i+1)); done; echo $i; exec sleep 60`)
		out, err := fill.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := fill.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fill.Process.Kill(); fill.Wait() })
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			t.Fatalf("filling irc's key quota: %v", err)
		}
		if n, _ := strconv.Atoi(strings.TrimSpace(line)); n < 10 {
			t.Fatalf("filling irc's key quota: only %q keys", line)
		}
		r := ctlRun(nil, "run", "-q", "-P", "-p", "User=irc", "sh", "-c", probe)
		checkKeyringRefused(t, r)
	})
	t.Run("capsule", func(t *testing.T) {
		c := startCapsule(t, "keyq")
		r := ctlRun(nil, "run", "-q", "-P", "-C", c, "sh", "-c",
			`i=0; while keyctl add user k$i x @s >/dev/null 2>&1; do i=$((i+1)); done; echo $i`)
		if n, _ := strconv.Atoi(strings.TrimSpace(r.stdout)); r.code != 0 || n < 10 {
			t.Fatalf("filling the capsule's key quota: %s", r)
		}
		r = ctlRun(nil, "run", "-q", "-P", "-C", c, "-p", "KeyringMode=private", "sh", "-c", probe)
		checkKeyringRefused(t, r)
	})
}

// checkKeyringRefused checks that a run failed and said why.
func checkKeyringRefused(t *testing.T, r result) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("a unit ran without a session keyring of its own: %s", r)
	}
	if !strings.Contains(r.String(), "key quota") {
		t.Errorf("the start failed without naming the keyring problem: %s", r)
	}
}

// TestEscapeUserKeyringLeftOpen: a capsule lets every UID write (and
// search) its user and user session keyrings, which outlive it. The next
// holder of its UID must get them as the kernel makes them, or another
// capsule could plant keys where the next holder's key searches look.
func TestEscapeUserKeyringLeftOpen(t *testing.T) {
	needKeyctl(t)
	out := nextHolder(t, "keyo", `keyctl setperm @u 0x1f3f000c && keyctl setperm @us 0x1f3f000c`,
		`keyctl rdescribe @u; keyctl rdescribe @us`, false)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Split(line, ";"); len(f) != 5 || f[3] != "1f3f0000" {
			t.Errorf("the next holder of the UID gets a keyring with other permissions than the kernel's: %q\n%s", line, out)
		}
	}
}
