package dynuser

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestParseProcKeys(t *testing.T) {
	in := "032e61c7 I--Q---     2 perm 1f3f0000 65400 65534 keyring   _uid.65400: 1\n" +
		"1de94343 I--Q---     1 perm 3f010000 65400 65400 user      left key: 6\n" +
		"322e5b31 I--Q---     1 perm 1f3f0000     0     0 keyring   _uid_ses.0: empty\n"
	got := parseProcKeys([]byte(in), 65400)
	want := []userKey{{0x032e61c7, 2, 65400, "keyring", "_uid.65400", 0x1f3f0000}, {0x1de94343, 1, 65400, "user", "left key", 0x3f010000}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	users := "    0:    11 10/10 5/1000000 75/25000000\n65218:     1 3/3 1/200 9/20000\n"
	for uid, n := range map[uint32]int{0: 10, 65218: 3, 1: 0} {
		if got := parseKeyUsers([]byte(users), uid); got != n {
			t.Errorf("parseKeyUsers(%d) = %d, want %d", uid, got, n)
		}
	}
}

// TestRealKeysAndQueues leaves keys (one its owner cannot even see) and a
// message queue for a UID, then checks that they are seen and cleared.
func TestRealKeysAndQueues(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := exec.LookPath("keyctl"); err != nil {
		t.Skip("keyctl (keyutils) not installed")
	}
	// Below the UIDs the end-to-end tests pick (the top of the range).
	var uid uint32
	for u := uint32(65400); u > 65300 && uid == 0; u-- {
		_, err := os.Lstat(fmt.Sprintf("/run/systemd/dynamic-uid/%d", u))
		if held, _ := keysHeld("/proc", u); !held && errors.Is(err, os.ErrNotExist) {
			uid = u
		}
	}
	if uid == 0 {
		t.Skip("no UID without keys in 65301-65400")
	}
	t.Cleanup(func() { clearKeys("/proc", uid); removeMqueues(uid, uid) })
	script := `keyctl add user left secret @u >/dev/null
		keyctl add user left2 secret @us >/dev/null
		keyctl add user left3 secret "$(keyctl get_persistent @u)" >/dev/null
		keyctl setperm "$(keyctl add user hidden secret @u)" 0x3f000000`
	out, err := exec.Command("setpriv", fmt.Sprintf("--reuid=%d", uid), fmt.Sprintf("--regid=%d", uid),
		"--clear-groups", "sh", "-ec", script).CombinedOutput()
	if err != nil {
		t.Fatalf("leaving keys: %v\n%s", err, out)
	}
	name := fmt.Sprintf("capsuled-test-%d", os.Getpid())
	p, _ := unix.BytePtrFromString(name)
	fd, _, errno := unix.Syscall6(unix.SYS_MQ_OPEN, uintptr(unsafe.Pointer(p)), unix.O_CREAT|unix.O_RDWR, 0o600, 0, 0, 0)
	if errno != 0 {
		t.Fatalf("mq_open: %v", errno)
	}
	err = unix.Fchown(int(fd), int(uid), int(uid))
	unix.Close(int(fd))
	if err != nil {
		t.Fatal(err)
	}

	if held, err := keysHeld("/proc", uid); !held || err != nil {
		t.Errorf("keysHeld = %v, %v; want true", held, err)
	}
	if used, err := mqueueUsed(uid); !used || err != nil {
		t.Errorf("mqueueUsed = %v, %v; want true", used, err)
	}
	a := &Allocator{LockDir: filepath.Join(t.TempDir(), "dynamic-uid"), Min: uid, Max: uid}
	acquire := func(what string, wantFree bool) {
		t.Helper()
		u, err := a.Acquire("c-keytest", nil)
		if wantFree && err == nil {
			u.Release()
			return
		}
		if wantFree || !errors.Is(err, ErrRangeFull) {
			t.Errorf("Acquire with %s: %v", what, err)
		}
	}
	acquire("keys and a queue left", false)
	if err := clearKeys("/proc", uid); err != nil {
		t.Fatal(err)
	}
	acquire("a queue left", false)
	if err := removeMqueues(uid, uid); err != nil {
		t.Fatal(err)
	}
	acquire("nothing left", true)
	if held, err := keysHeld("/proc", uid); held || err != nil {
		t.Errorf("after clearKeys: keysHeld = %v, %v", held, err)
	}
	if used, err := mqueueUsed(uid); used || err != nil {
		t.Errorf("after removeMqueues: mqueueUsed = %v, %v", used, err)
	}
	out, _ = exec.Command("setpriv", fmt.Sprintf("--reuid=%d", uid), fmt.Sprintf("--regid=%d", uid),
		"--clear-groups", "sh", "-c", `keyctl show @u; keyctl show @us; keyctl show "$(keyctl get_persistent @u)"`).CombinedOutput()
	if strings.Contains(string(out), "left") {
		t.Errorf("keys left for UID %d:\n%s", uid, out)
	}
}

func TestOnlyEmptyRings(t *testing.T) {
	std := standardRings(65400)
	user := userKey{1, 2, 65400, "keyring", "_uid.65400", 0x1f3f0000}
	userSes := userKey{2, 1, 65400, "keyring", "_uid_ses.65400", 0x1f3f0000}
	persistent := userKey{6, 1, 65400, "keyring", "_persistent.65400", 0x1f030000}
	ses := userKey{3, 1, 65400, "keyring", "_ses", 0x3f030000}
	secret := userKey{4, 1, 65400, "user", "secret", 0x3f010000}
	dying := userKey{5, 0, 65400, "user", "gone", 0x3f010000}
	open, closed := user, userSes
	open.perm, closed.perm = 0x1f3f000c, 0x1f010000
	links := map[int][]int32{2: {1}, 3: {1, 99}, 1: nil, 6: nil}
	for _, tc := range []struct {
		name  string
		keys  []userKey
		count int
		links map[int][]int32
		want  bool
	}{
		{"standard rings as the kernel makes them", []userKey{user, userSes}, 2, links, true},
		{"persistent keyring too", []userKey{user, userSes, persistent}, 3, links, true},
		{"user keyring open to others", []userKey{open, userSes}, 2, links, false},
		{"user session keyring closed to its owner", []userKey{user, closed}, 2, links, false},
		{"session keyring of an unreaped process", []userKey{user, userSes, ses}, 3, links, true},
		{"a key being destroyed", []userKey{user, userSes, dying}, 3, links, true},
		{"a key its owner can see", []userKey{user, userSes, secret}, 3, links, false},
		{"keys its owner cannot see", []userKey{user, userSes}, 201, links, false},
		{"a keyring its owner cannot see", []userKey{user}, 2, links, false},
		{"user keyring links another UID's key", []userKey{user, userSes}, 2, map[int][]int32{1: {99}, 2: {1}}, false},
		{"user keyring links an unseen key", []userKey{user, userSes}, 3, map[int][]int32{1: {7}, 2: {1}}, false},
		{"unreadable keyring", []userKey{user, userSes}, 2, map[int][]int32{2: {1}}, false},
	} {
		got := onlyEmptyRings(tc.keys, tc.count, std, func(s int) ([]int32, error) {
			l, ok := tc.links[s]
			if !ok {
				return nil, unix.EACCES
			}
			return l, nil
		})
		if got != tc.want {
			t.Errorf("%s: onlyEmptyRings = %v, want %v", tc.name, got, tc.want)
		}
	}
}
