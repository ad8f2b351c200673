package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ipcProbeSource does what a capsule could do to another through System V
// and POSIX IPC, one subcommand each.
const ipcProbeSource = `#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>

int main(int argc, char **argv) {
	if (argc == 4 && !strcmp(argv[1], "shm-plant")) {
		/* shm-plant KEY UID: make the segment KEY and give it to UID. */
		struct shmid_ds ds;
		int id = shmget((key_t)strtol(argv[2], 0, 0), 4096, IPC_CREAT | 0600);
		if (id < 0 || shmctl(id, IPC_STAT, &ds) < 0) { perror("shmget"); return 1; }
		ds.shm_perm.uid = ds.shm_perm.gid = (unsigned)atoi(argv[3]);
		if (shmctl(id, IPC_SET, &ds) < 0) { perror("IPC_SET"); return 1; }
		printf("%d\n", id);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "shm-write")) {
		/* shm-write KEY TEXT: get or make KEY, print its creator, write. */
		struct shmid_ds ds;
		int id = shmget((key_t)strtol(argv[2], 0, 0), 4096, IPC_CREAT | 0600);
		if (id < 0 || shmctl(id, IPC_STAT, &ds) < 0) { perror("shmget"); return 1; }
		char *p = shmat(id, 0, 0);
		if (p == (void *)-1) { perror("shmat"); return 1; }
		strncpy(p, argv[3], 4095);
		printf("cuid=%u\n", ds.shm_perm.cuid);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "shm-read")) {
		/* shm-read KEY: print what the segment KEY holds. */
		int id = shmget((key_t)strtol(argv[2], 0, 0), 0, 0);
		if (id < 0) { printf("shmget: %s\n", strerror(errno)); return 0; }
		char *p = shmat(id, 0, SHM_RDONLY);
		if (p == (void *)-1) { printf("shmat: %s\n", strerror(errno)); return 0; }
		printf("read=%.64s\n", p);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "shm-many")) {
		/* shm-many N: make N private segments and leave them. */
		for (int i = 0; i < atoi(argv[2]); i++)
			if (shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600) < 0) { perror("shmget"); return 1; }
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "mq-many")) {
		/* mq-many PREFIX N: make N POSIX queues PREFIX0.. (exclusive). */
		struct mq_attr a = {.mq_maxmsg = 1, .mq_msgsize = 16};
		char name[64];
		for (int i = 0; i < atoi(argv[3]); i++) {
			snprintf(name, sizeof name, "%s%d", argv[2], i);
			if (mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a) == (mqd_t)-1) {
				printf("mq_open %s: %s\n", name, strerror(errno));
				return 1;
			}
		}
		return 0;
	}
	fprintf(stderr, "usage: shm-plant KEY UID | shm-write KEY TEXT | shm-read KEY | shm-many N | mq-many PREFIX N\n");
	return 64;
}
`

// ipcProbeBuild compiles ipcProbeSource once per test process.
var ipcProbeBuild = sync.OnceValues(func() (string, error) {
	src := filepath.Join(e.bin, "ipcprobe.c")
	if err := os.WriteFile(src, []byte(ipcProbeSource), 0o644); err != nil {
		return "", err
	}
	return gccStatic(src, filepath.Join(e.bin, "ipcprobe"))
})

// ipcProbeIn puts the IPC probe into a capsule's home and returns its path
// as the capsule sees it.
func ipcProbeIn(t *testing.T, capsule string) string {
	t.Helper()
	bin, err := ipcProbeBuild()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/var/lib/private/capsules/"+capsule+"/ipcprobe", data, 0o755); err != nil {
		t.Fatal(err)
	}
	return "/var/lib/capsules/" + capsule + "/ipcprobe"
}

// sharedIPC makes capsule NAME of the system manager with runtime
// directory rt run in the host's IPC namespace (PrivateIPC=no), for tests
// of what is removed when a UID is released.
func sharedIPC(t *testing.T, rt, capsule string) {
	t.Helper()
	dir := filepath.Join(rt, "system", "capsule@"+capsule+".service.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "shared-ipc.conf"), []byte("[Service]\nPrivateIPC=no\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startSharedIPCCapsule is startCapsule for a capsule in the host's IPC
// namespace.
func startSharedIPCCapsule(t *testing.T, prefix string) string {
	t.Helper()
	name := newCapsule(t, prefix)
	sharedIPC(t, e.runtimeDir, name)
	ctl(t, 0, "start", "capsule@"+name+".service")
	waitRunning(t, name)
	return name
}

// sysvRows returns the rows of /proc/sysvipc/TABLE as seen by the caller
// whose column COL (e.g. cuid) is val.
func sysvRows(text, col, val string) int {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) == 0 {
		return 0
	}
	idx := -1
	for i, f := range strings.Fields(lines[0]) {
		if f == col {
			idx = i
		}
	}
	n := 0
	for _, l := range lines[1:] {
		if f := strings.Fields(l); idx >= 0 && idx < len(f) && f[idx] == val {
			n++
		}
	}
	return n
}

// TestEscapeSharedMemoryHijack: a capsule makes the System V segment a
// victim capsule will ask for by key and hands it to the victim's UID. The
// victim must get a segment of its own, and the attacker must not read what
// the victim writes.
func TestEscapeSharedMemoryHijack(t *testing.T) {
	atk := startCapsule(t, "shma")
	victim := startCapsule(t, "shmv")
	vUID, _ := capsuleUID(t, victim)
	key := fmt.Sprintf("0x5eed%04x", os.Getpid()%0x10000)
	t.Cleanup(func() {
		k, _ := strconv.ParseInt(key, 0, 64)
		if id, _, errno := unix.Syscall(unix.SYS_SHMGET, uintptr(k), 0, 0); errno == 0 {
			unix.Syscall(unix.SYS_SHMCTL, id, unix.IPC_RMID, 0)
		}
	})
	ap, vp := ipcProbeIn(t, atk), ipcProbeIn(t, victim)
	inCapsule(t, atk, 0, fmt.Sprintf("%s shm-plant %s %d", ap, key, vUID))
	out := inCapsule(t, victim, 0, fmt.Sprintf("%s shm-write %s victim-secret", vp, key)).stdout
	if want := fmt.Sprintf("cuid=%d", vUID); strings.TrimSpace(out) != want {
		t.Errorf("the victim's shmget(%s, IPC_CREAT) returned a segment another capsule made: %q, want %q", key, out, want)
	}
	if got := inCapsule(t, atk, 0, fmt.Sprintf("%s shm-read %s", ap, key)).stdout; strings.Contains(got, "victim-secret") {
		t.Errorf("the attacking capsule reads what the victim wrote: %q", got)
	}
}

// TestEscapeIPCExhaustion: one capsule fills System V and POSIX IPC with
// objects. Another capsule and the host must not see them or run out.
func TestEscapeIPCExhaustion(t *testing.T) {
	hog := startCapsule(t, "ipch")
	other := startCapsule(t, "ipco")
	hUID, _ := capsuleUID(t, hog)
	prefix := fmt.Sprintf("/capsuled-e2e-hog-%d-", os.Getpid())
	t.Cleanup(func() {
		for i := 0; i < 20; i++ {
			p, _ := unix.BytePtrFromString(fmt.Sprintf("%s%d", prefix[1:], i))
			unix.Syscall(unix.SYS_MQ_UNLINK, uintptr(unsafe.Pointer(p)), 0, 0)
		}
	})
	hp, op := ipcProbeIn(t, hog), ipcProbeIn(t, other)
	inCapsule(t, hog, 0, fmt.Sprintf("%s shm-many 300 && %s mq-many %s 20", hp, hp, prefix))

	seen := inCapsule(t, other, 0, "cat /proc/sysvipc/shm").stdout
	if n := sysvRows(seen, "cuid", strconv.Itoa(hUID)); n != 0 {
		t.Errorf("another capsule sees %d shared memory segments of the hog", n)
	}
	host, err := os.ReadFile("/proc/sysvipc/shm")
	if err != nil {
		t.Fatal(err)
	}
	if n := sysvRows(string(host), "cuid", strconv.Itoa(hUID)); n != 0 {
		t.Errorf("the host's IPC namespace holds %d segments of the hog", n)
	}
	// The same queue names are free for another capsule.
	if r := ctlRun(nil, "run", "-q", "-C", other, "-P", op, "mq-many", prefix, "20"); r.code != 0 {
		t.Errorf("another capsule cannot make the queues the hog made: %s", r)
	}
	if r := ctlRun(nil, "run", "-q", "-C", other, "-P", op, "shm-many", "1"); r.code != 0 {
		t.Errorf("another capsule cannot make a segment: %s", r)
	}

	// With the hog's last process the namespace goes, and its objects
	// with it: no process is in it, nothing holds it open.
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/ipc", managerPID(t, hog)))
	if err != nil {
		t.Fatal(err)
	}
	ctl(t, 0, "stop", "capsule@"+hog+".service")
	if holders := ipcNamespaceHolders(ns); len(holders) > 0 {
		t.Errorf("the stopped capsule's IPC namespace %s is still held by %v", ns, holders)
	}
}

// ipcNamespaceHolders lists the processes of this test run's manager and
// capsules (in its cgroup) that are in the namespace ns ("ipc:[N]") or
// have a descriptor of it open. Others are left out: once ns is gone, the
// kernel hands its number to the next new namespace, which may be a
// capsule of another test run on the same machine.
func ipcNamespaceHolders(ns string) []string {
	var held []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		if !inTestCgroup(p) {
			continue
		}
		if l, _ := os.Readlink(p + "/ns/ipc"); l == ns {
			held = append(held, p)
			continue
		}
		fds, _ := os.ReadDir(p + "/fd")
		for _, fd := range fds {
			if l, _ := os.Readlink(p + "/fd/" + fd.Name()); l == ns {
				held = append(held, p+"/fd/"+fd.Name())
			}
		}
	}
	return held
}

// inTestCgroup reports whether the process at p (/proc/PID) is in this
// test run's cgroup tree, where its manager and capsules run.
func inTestCgroup(p string) bool {
	b, err := os.ReadFile(p + "/cgroup")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if path, ok := strings.CutPrefix(l, "0::"); ok {
			return path == e.cgroup || strings.HasPrefix(path, e.cgroup+"/")
		}
	}
	return false
}

// abstractListen listens on the abstract unix socket NAME (argv 1), creates
// the file argv 2 once it does and answers connections for 30 s.
const abstractListen = `import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0" + sys.argv[1])
s.listen(8)
open(sys.argv[2], "w").close()
s.settimeout(30)
while True:
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    c.sendall(b"hello\n")
    c.close()
`

// abstractConnect connects to the abstract unix socket NAME (argv 1) and
// says whether it got through (and what the listener said, if anything
// within 5 s: the host's listener in the test never answers).
const abstractConnect = `import errno, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect("\0" + sys.argv[1])
except OSError as e:
    print("refused", errno.errorcode.get(e.errno, e.errno))
    sys.exit(0)
try:
    print("connected", s.recv(16).decode().strip())
except OSError:
    print("connected")
`

// abstractListener starts a unit in capsule that listens on the abstract
// socket name and waits until it does.
func abstractListener(t *testing.T, capsule, unitName, name string) {
	t.Helper()
	ready := "/var/lib/private/capsules/" + capsule + "/" + unitName + ".ready"
	ctl(t, 0, "run", "-q", "-C", capsule, "-u", unitName, "/usr/bin/python3", "-c", abstractListen, name,
		"/var/lib/capsules/"+capsule+"/"+unitName+".ready")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s in capsule %s does not listen on @%s after 10s", unitName, capsule, name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestEscapeAbstractSocketFdPass: capsules share the host's network
// namespace, so abstract unix sockets were a channel between them (and to
// the host's services) over which descriptors of one capsule's private
// files could outlive it. No capsule may reach an abstract socket of
// another capsule or of the host; units of one capsule still reach each
// other's.
func TestEscapeAbstractSocketFdPass(t *testing.T) {
	atk1 := startCapsule(t, "absa")
	atk2 := startCapsule(t, "absb")
	base := fmt.Sprintf("capsuled-e2e-%d-", os.Getpid())

	abstractListener(t, atk2, "holder", base+"atk-hold")
	abstractListener(t, atk1, "own", base+"own")

	hostFD, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(hostFD)
	if err := unix.Bind(hostFD, &unix.SockaddrUnix{Name: "@" + base + "host"}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(hostFD, 8); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		what, name string
		reach      bool
	}{
		{"another capsule's abstract socket", base + "atk-hold", false},
		{"the host's abstract socket", base + "host", false},
		{"an abstract socket of another unit of the same capsule", base + "own", true},
	} {
		out := strings.TrimSpace(ctl(t, 0, "run", "-q", "-C", atk1, "-P", "/usr/bin/python3", "-c", abstractConnect, c.name).stdout)
		if got := strings.HasPrefix(out, "connected"); got != c.reach {
			t.Errorf("capsule %s connecting to %s (@%s): %q", atk1, c.what, c.name, out)
		}
	}
}

// TestEscapeSeeOtherCapsulesProcesses: a capsule must find no /proc entry
// of another capsule's processes or root's (command lines, mount tables),
// while its own manager still sees its units' processes.
func TestEscapeSeeOtherCapsulesProcesses(t *testing.T) {
	atk1 := startCapsule(t, "psa")
	atk2 := startCapsule(t, "psb")
	uid1, _ := capsuleUID(t, atk1)
	uid2, _ := capsuleUID(t, atk2)
	ctl(t, 0, "run", "-q", "-C", atk1, "-u", "sleeper", "sleep", "30")
	ctl(t, 0, "run", "-q", "-C", atk2, "-u", "sleeper", "sleep", "30")
	others := append(processesOf(uid1), 1, os.Getpid())
	mgr1 := managerPID(t, atk1)
	own := processesOf(uid2) // its manager and sleep
	if len(own) < 2 {
		t.Fatalf("capsule %s runs %v, want its manager and sleep", atk2, own)
	}

	out := inCapsule(t, atk2, 0, fmt.Sprintf(`ls /proc
		cat /proc/%d/mountinfo >/dev/null 2>&1 && echo read-mountinfo; true`, mgr1)).stdout
	seen := map[string]bool{}
	for _, f := range strings.Fields(out) {
		seen[f] = true
	}
	for _, pid := range others {
		if seen[strconv.Itoa(pid)] {
			t.Errorf("capsule %s sees /proc/%d (not its own)", atk2, pid)
		}
	}
	if seen["read-mountinfo"] {
		t.Errorf("capsule %s reads /proc/%d/mountinfo of capsule %s's manager", atk2, mgr1, atk1)
	}
	// Its manager is not dumpable, so the capsule cannot trace it and
	// hidepid hides it from the capsule's units too.
	mgr2 := managerPID(t, atk2)
	if seen[strconv.Itoa(mgr2)] {
		t.Errorf("capsule %s sees /proc/%d of its own manager, which it cannot trace", atk2, mgr2)
	}
	for _, pid := range own {
		// A process that ended meanwhile (a short-lived helper of the
		// capsule's) is not there to be seen.
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
			continue
		}
		if pid != mgr2 && !seen[strconv.Itoa(pid)] {
			t.Errorf("capsule %s does not see its own process %d", atk2, pid)
		}
	}
	st := ctl(t, 0, "-C", atk2, "status", "sleeper.service").stdout
	if !strings.Contains(st, "sleep 30") {
		t.Errorf("status of a unit inside capsule %s shows no process:\n%s", atk2, st)
	}
	t.Logf("%s", st)
}

// TestPrivateIPCSharedByUnitProcesses: the processes of one PrivateIPC=
// invocation share one namespace (ExecStartPre= makes a segment that
// ExecStart= finds), and the host's namespace never holds it.
func TestPrivateIPCSharedByUnitProcesses(t *testing.T) {
	probe, err := ipcProbeBuild()
	if err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("0x5eec%04x", os.Getpid()%0x10000)
	k, _ := strconv.ParseInt(key, 0, 64)
	hostHas := func() bool {
		id, _, errno := unix.Syscall(unix.SYS_SHMGET, uintptr(k), 0, 0)
		if errno == 0 {
			unix.Syscall(unix.SYS_SHMCTL, id, unix.IPC_RMID, 0)
		}
		return errno == 0
	}
	t.Cleanup(func() { hostHas() })
	out := filepath.Join(t.TempDir(), "out")
	// A fresh name each run: the unit stays loaded with its first file.
	name := fmt.Sprintf("privipc-%d-%d.service", os.Getpid(), counter.Add(1))
	systemUnit(t, name, fmt.Sprintf(`[Service]
Type=oneshot
PrivateIPC=yes
ExecStartPre=%s shm-plant %s 0
ExecStart=/bin/sh -c '%s shm-read %s > %s'
`, probe, key, probe, key, out))
	ctl(t, 0, "start", name)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "read=") {
		t.Errorf("ExecStart= does not find the segment ExecStartPre= made: %q", b)
	}
	if hostHas() {
		t.Errorf("the host's IPC namespace holds the unit's segment %s", key)
	}
}
