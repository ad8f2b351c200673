package e2e

import (
	"fmt"
	"os"
	osexec "os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hostileIn puts the hostile program into a capsule's home and returns its
// path as the capsule sees it.
func hostileIn(t *testing.T, capsule string) string {
	t.Helper()
	bin := staticProgram(t, "hostile")
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/var/lib/private/capsules/"+capsule+"/hostile", data, 0o755); err != nil {
		t.Fatal(err)
	}
	return "/var/lib/capsules/" + capsule + "/hostile"
}

// msgQueues returns the System V message queues of the host: id to
// "uid gid cuid cgid".
func msgQueues(t *testing.T) map[int]string {
	t.Helper()
	b, err := os.ReadFile("/proc/sysvipc/msg")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	col := map[string]int{}
	for i, f := range strings.Fields(lines[0]) {
		col[f] = i
	}
	q := map[int]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		id, _ := strconv.Atoi(f[col["msqid"]])
		q[id] = strings.Join([]string{f[col["uid"]], f[col["gid"]], f[col["cuid"]], f[col["cgid"]]}, " ")
	}
	return q
}

// TestEscapeSysVHandOverBlocksUIDs: a capsule gives System V queues to
// another dynamic UID (IPC_SET). That UID must stay allocatable, and the
// queues must go when the capsule that made them stops.
func TestEscapeSysVHandOverBlocksUIDs(t *testing.T) {
	target := freeUID(t)
	env := newManager(t, "sysv", []string{fmt.Sprintf("--uid-range=%d-%d", target, target)}, nil).env
	a := startSharedIPCCapsule(t, "sysv")
	aUID, _ := capsuleUID(t, a)
	out := inCapsule(t, a, 0, fmt.Sprintf("%s msg-handover %d 3", hostileIn(t, a), target)).stdout
	var ids []int
	for _, f := range strings.Fields(out) {
		id, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("hostile printed %q", out)
		}
		ids = append(ids, id)
	}
	t.Cleanup(func() {
		for _, id := range ids {
			syscall.Syscall(syscall.SYS_MSGCTL, uintptr(id), unix.IPC_RMID, 0)
		}
	})
	q := msgQueues(t)
	for _, id := range ids {
		if want := fmt.Sprintf("%d %d %d %d", target, target, aUID, aUID); q[id] != want {
			t.Fatalf("queue %d: uid gid cuid cgid = %q, want %q", id, q[id], want)
		}
	}

	b := newCapsuleOn(t, env, "sysvb")
	if r := ctlRunEnv(env, "start", "capsule@"+b+".service"); r.code != 0 {
		t.Fatalf("UID %d holds queues handed over by capsule %s and cannot be allocated: %s", target, a, r)
	}
	if got, _ := capsuleUID(t, b); got != target {
		t.Errorf("capsule %s got UID %d, want %d", b, got, target)
	}
	ctl(t, 0, "stop", "capsule@"+a+".service")
	q = msgQueues(t)
	for _, id := range ids {
		if s, ok := q[id]; ok {
			t.Errorf("queue %d (uid gid cuid cgid %s) made by capsule %s survives its stop", id, s, a)
		}
	}
}

// keyProbe is a shell script that prints what a process finds in its
// session keyring: its serial (ring), rdescribe output (desc), whether the
// key named by $1 is reachable or listed (secret) and the invocation_id
// key (inv, in hex).
const keyProbe = `echo ring=$(keyctl id @s)
echo desc=$(keyctl rdescribe @s)
# Root may view root's keys in /proc/keys without possessing them.
if keyctl search @s user "$1" >/dev/null 2>&1 || { [ "$(id -u)" != 0 ] && grep -q "$1" /proc/keys; }; then
	echo secret=found
else
	echo secret=none
fi
id=$(keyctl search @s user invocation_id 2>/dev/null) && echo inv=$(keyctl pipe "$id" | od -An -tx1 | tr -d ' \n')
true`

func parseProbe(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(l, "=")
		m[k] = v
	}
	if m["ring"] == "" || m["secret"] == "" {
		t.Fatalf("probe printed %q", out)
	}
	return m
}

func needKeyctl(t *testing.T) {
	t.Helper()
	if _, err := osexec.LookPath("keyctl"); err != nil {
		t.Skip("keyctl (keyutils) not installed; scripts/install-deps.sh installs it")
	}
}

// invocationOf returns the invocation ID that run printed on stderr or
// status shows.
func invocationOf(t *testing.T, out string) string {
	t.Helper()
	for _, marker := range []string{"invocation ID: ", "Invocation: "} {
		if _, s, ok := strings.Cut(out, marker); ok {
			return strings.Fields(s)[0]
		}
	}
	t.Fatalf("no invocation ID in %q", out)
	return ""
}

// TestEscapeInheritedSessionKeyring: root starts the system manager from a
// shell whose session keyring holds a key. Nothing the manager runs may
// reach it, capsules must not share a keyring, and KeyringMode= follows
// systemd's defaults (private for system services, inherit in capsules).
func TestEscapeInheritedSessionKeyring(t *testing.T) {
	needKeyctl(t)
	secret := fmt.Sprintf("capsuled-e2e-root-secret-%d", os.Getpid())
	var starter string
	env := newManager(t, "keys", nil, func(cmd *osexec.Cmd) error {
		errc := make(chan error, 1)
		go func() {
			// Never unlocked: the thread ends with this goroutine, and
			// the keyring and key with it once the manager drops them.
			runtime.LockOSThread()
			id, _, errno := unix.Syscall(unix.SYS_KEYCTL, unix.KEYCTL_JOIN_SESSION_KEYRING, 0, 0)
			if errno != 0 {
				errc <- fmt.Errorf("join session keyring: %w", errno)
				return
			}
			starter = strconv.Itoa(int(id))
			if _, err := unix.AddKey("user", secret, []byte("root's secret"), unix.KEY_SPEC_SESSION_KEYRING); err != nil {
				errc <- fmt.Errorf("add key: %w", err)
				return
			}
			errc <- cmd.Start()
		}()
		return <-errc
	}).env
	run := func(args ...string) map[string]string {
		t.Helper()
		args = append(append([]string{"run", "-P"}, args...), "sh", "-c", keyProbe, "probe", secret)
		r := ctlRunEnv(env, args...)
		if r.code != 0 {
			t.Fatalf("capsulectl %s: %s", strings.Join(args, " "), r)
		}
		p := parseProbe(t, r.stdout)
		p["invocation"] = invocationOf(t, r.stderr)
		if p["secret"] != "none" || p["ring"] == starter {
			t.Errorf("capsulectl %s reached the starter's session keyring %s: %v", strings.Join(args, " "), starter, p)
		}
		return p
	}

	// System services: private by default, with their invocation ID.
	priv := run()
	if !strings.HasPrefix(priv["desc"], "keyring;0;0;") || priv["inv"] != priv["invocation"] {
		t.Errorf("system service, default KeyringMode: %v", priv)
	}
	shared := run("-p", "KeyringMode=shared")
	if shared["ring"] == priv["ring"] || shared["inv"] != shared["invocation"] {
		t.Errorf("KeyringMode=shared: %v", shared)
	}
	inherit := run("-p", "KeyringMode=inherit")
	if inherit["inv"] != "" || inherit["ring"] == priv["ring"] {
		t.Errorf("KeyringMode=inherit got a keyring of its own: %v", inherit)
	}
	r := ctlRunEnv(env, "run", "-q", "-P", "-p", "KeyringMode=shared", "keyctl", "show", "@s")
	if r.code != 0 || !strings.Contains(r.stdout, "_uid.0") || !strings.Contains(r.stdout, "invocation_id") {
		t.Errorf("KeyringMode=shared does not link the user keyring: %s", r)
	}
	// An inheriting unit cannot leave keys for the next one in the
	// manager's keyring.
	if r := ctlRunEnv(env, "run", "-q", "-P", "-p", "KeyringMode=inherit", "keyctl", "add", "user", "left", "x", "@s"); r.code == 0 {
		t.Errorf("a unit could add a key to the manager's session keyring: %s", r)
	}

	// Capsules: each its own keyring, owned by its UID; units inside
	// inherit the capsule manager's, as in systemd's user managers.
	rings := map[string]string{}
	for _, prefix := range []string{"keya", "keyb"} {
		c := newCapsuleOn(t, env, prefix)
		if r := ctlRunEnv(env, "start", "capsule@"+c+".service"); r.code != 0 {
			t.Fatalf("start capsule: %s", r)
		}
		uid, _ := capsuleUID(t, c)
		st := ctlRunEnv(env, "status", "-n", "0", "capsule@"+c+".service")
		inv := invocationOf(t, st.stdout)
		p := run("-C", c)
		want := fmt.Sprintf("keyring;%d;%d;", uid, uid)
		if !strings.HasPrefix(p["desc"], want) || p["inv"] != inv {
			t.Errorf("capsule %s: session keyring %v, want owner %d and invocation %s", c, p, uid, inv)
		}
		if q := run("-C", c); q["ring"] != p["ring"] {
			t.Errorf("capsule %s: two units (KeyringMode=inherit) have keyrings %s and %s", c, p["ring"], q["ring"])
		}
		if q := run("-C", c, "-p", "KeyringMode=private"); q["ring"] == p["ring"] || q["inv"] != q["invocation"] ||
			!strings.HasPrefix(q["desc"], want) {
			t.Errorf("capsule %s: KeyringMode=private unit: %v (manager's %v)", c, q, p)
		}
		for other, ring := range rings {
			if ring == p["ring"] {
				t.Errorf("capsules %s and %s share session keyring %s", other, c, ring)
			}
		}
		rings[c] = p["ring"]
	}
}

// nextHolder runs a capsule on a system manager that may hand out only
// target, makes it run leave, stops and cleans it (or, with crash, kills
// the manager and lets a new one recover), starts a second capsule there
// and returns what check printed in it. Both must get target.
func nextHolder(t *testing.T, tag, leave, check string, crash bool) string {
	t.Helper()
	target := freeUID(t)
	m := newManager(t, tag, []string{fmt.Sprintf("--uid-range=%d-%d", target, target)}, nil)
	env := m.env
	var out string
	for i, script := range []string{leave, check} {
		c := newCapsuleOn(t, env, tag)
		sharedIPC(t, m.rt, c)
		unit := "capsule@" + c + ".service"
		if r := ctlRunEnv(env, "start", unit); r.code != 0 {
			t.Fatalf("capsule %d on the one-UID manager: %s", i+1, r)
		}
		if uid, _ := capsuleUID(t, c); uid != target {
			t.Fatalf("capsule %s got UID %d, want %d", c, uid, target)
		}
		bin := hostileIn(t, c)
		r := ctlRunEnv(env, "run", "-q", "-P", "-C", c, "sh", "-c", script, "script", bin)
		if i == 0 && r.code != 0 {
			t.Fatalf("leaving things behind: %s", r)
		}
		out = r.stdout + r.stderr
		if i == 0 && crash {
			m.crash()
		}
		ctlRunEnv(env, "stop", unit)
		ctlRunEnv(env, "clean", "--what=all", unit)
	}
	return out
}

// TestEscapeKeysLeftForNextUID: a capsule leaves keys in its user, user
// session and persistent keyrings; the next capsule with its UID must find
// none of them, after a stop and after a crash of the system manager.
func TestEscapeKeysLeftForNextUID(t *testing.T) {
	needKeyctl(t)
	for _, crash := range []bool{false, true} {
		t.Run(map[bool]string{false: "stop", true: "crash"}[crash], func(t *testing.T) {
			out := nextHolder(t, "keyl",
				`keyctl add user left-in-user secret @u >/dev/null
				keyctl add user left-in-user-session secret @us >/dev/null
				keyctl add user left-in-persistent secret "$(keyctl get_persistent @s)" >/dev/null
				# One its owner may read by serial, wherever it is linked.
				id=$(keyctl add user left-for-owner secret @s)
				keyctl setperm "$id" 0x3f3f0000 && keyctl link "$id" @u && keyctl unlink "$id" @s`,
				`keyctl show @u; keyctl show @us; keyctl show "$(keyctl get_persistent @s)"; cat /proc/keys
				for k in left-in-user left-in-user-session left-in-persistent left-for-owner; do
					keyctl request user $k 2>/dev/null && echo "found $k"
				done; true`, crash)
			if strings.Contains(out, "left-") {
				t.Errorf("the next capsule with the same UID finds keys of the previous one:\n%s", out)
			}
		})
	}
}

// TestEscapeMqueueLeftForNextUID: a capsule leaves a POSIX message queue
// (the host has no /dev/mqueue mounted); the next capsule with its UID must
// not find it, after a stop and after a crash of the system manager.
func TestEscapeMqueueLeftForNextUID(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(map[bool]string{false: "stop", true: "crash"}[crash], func(t *testing.T) {
			name := fmt.Sprintf("/capsuled-e2e-left-%d-%v", os.Getpid(), crash)
			t.Cleanup(func() {
				p, _ := unix.BytePtrFromString(name[1:])
				unix.Syscall(unix.SYS_MQ_UNLINK, uintptr(unsafe.Pointer(p)), 0, 0)
			})
			out := nextHolder(t, "mql", `"$1" mq-create `+name+` left-for-the-next`, `"$1" mq-read `+name, crash)
			if strings.Contains(out, "left-for-the-next") || !strings.Contains(out, "open: No such file or directory") {
				t.Errorf("the next capsule with the same UID reads the queue of the previous one: %q", out)
			}
		})
	}
}
