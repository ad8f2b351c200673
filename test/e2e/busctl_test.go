package e2e

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// bcService runs testdata/bussvc.py in the capsule as unit bc-svc,
// owning name, and waits until the name is on the capsule's bus.
func bcService(t *testing.T, capsule, name string) {
	t.Helper()
	src, err := os.ReadFile("testdata/bussvc.py")
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join("/var/lib/capsules", capsule, "bussvc.py")
	if err := os.WriteFile(script, src, 0o644); err != nil {
		t.Fatal(err)
	}
	ctl(t, 0, "run", "-q", "-C", capsule, "-u", "bc-svc", "/usr/bin/python3", script, name)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if r := ctlRun(nil, "-C", capsule, "bus", "list", "--acquired", "--no-legend"); strings.Contains(r.stdout, name+" ") {
			return
		}
	}
	t.Fatalf("%s never appeared on the bus of %s", name, capsule)
}

// bctlStart starts capsulectl in the background; wait() returns its result.
func bctlStart(t *testing.T, args ...string) func() result {
	t.Helper()
	cmd := osexec.Command(filepath.Join(e.bin, "capsulectl"), args...)
	cmd.Env = append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
		}
	})
	return func() result {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		return result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
	}
}

// untilDone repeats poke every 50 ms until wait's command has ended.
func untilDone(wait func() result, poke func()) result {
	c := make(chan result, 1)
	go func() { c <- wait() }()
	for {
		select {
		case r := <-c:
			return r
		case <-time.After(50 * time.Millisecond):
			poke()
		}
	}
}

// TestCapsuleBusVerbs runs busctl's verbs through capsulectl -C NAME bus
// against the capsule's dbus-daemon and a python3-dbus service in it;
// expected output as busctl 257 prints it (observed-9-bus.md).
func TestCapsuleBusVerbs(t *testing.T) {
	name := startCapsule(t, "bctl")
	uid, _ := capsuleUID(t, name)
	bcService(t, name, "org.bc.Test")
	bus := func(want int, args ...string) result {
		t.Helper()
		return ctl(t, want, append([]string{"-C", name, "bus"}, args...)...)
	}
	const obj, iface = "/org/bc/Test", "org.bc.Test"

	t.Run("list", func(t *testing.T) {
		r := bus(0)
		lines := strings.Split(r.stdout, "\n")
		if !regexp.MustCompile(`^NAME +PID PROCESS +USER +CONNECTION +UNIT +SESSION DESCRIPTION$`).MatchString(lines[0]) {
			t.Errorf("header %q", lines[0])
		}
		svc := regexp.MustCompile(`(?m)^org\.bc\.Test +\d+ python3 +c-` + name + ` (:1\.\d+) +capsule@` + name + `\.service - +-$`).FindStringSubmatch(r.stdout)
		if svc == nil || !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(svc[1])+` +\d+ python3 `).MatchString(r.stdout) {
			t.Errorf("no row for the service and its unique name:\n%s", r.stdout)
		}
		// Our own connection shows '-' everywhere; activatable names say so.
		if !regexp.MustCompile(`(?m)^:1\.\d+ +- - +- +- +- +- +-$`).MatchString(r.stdout) ||
			!regexp.MustCompile(`(?m)^org\.freedesktop\.DBus +\d+ dbus-daemon +c-`+name+` - `).MatchString(r.stdout) {
			t.Errorf("list:\n%s", r.stdout)
		}
		if r := bus(0, "list", "--acquired", "--no-legend"); strings.Contains(r.stdout, "NAME") || regexp.MustCompile(`(?m)^:`).MatchString(r.stdout) {
			t.Errorf("--acquired --no-legend:\n%s", r.stdout)
		}
		if r := bus(0, "list", "--unique"); strings.Contains(r.stdout, "org.bc.Test") || !strings.Contains(r.stdout, ":1.") {
			t.Errorf("--unique:\n%s", r.stdout)
		}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(bus(0, "--json=short", "list").stdout), &rows); err != nil || len(rows) < 3 {
			t.Errorf("--json=short: %v %v", err, rows)
		}
	})

	t.Run("status", func(t *testing.T) {
		r := bus(0, "status")
		if !regexp.MustCompile(fmt.Sprintf(`^BusAddress=unix:path=/proc/self/fd/\d+,uid=%d,gid=%d\nBusID=[0-9a-f]{32}\nPID=%d\n`, uid, uid, managerPID(t, name))).MatchString(r.stdout) ||
			!strings.Contains(r.stdout, fmt.Sprintf("\nEUID=%d\n", uid)) || !strings.Contains(r.stdout, "\nUnit=capsule@"+name+".service\n") {
			t.Errorf("status:\n%s", r.stdout)
		}
		if r := bus(0, "status", iface); !strings.Contains(r.stdout, "\nComm=python3\n") || !strings.Contains(r.stdout, "\nUniqueName=:1.") {
			t.Errorf("status %s:\n%s", iface, r.stdout)
		}
	})

	t.Run("tree and introspect", func(t *testing.T) {
		if r := bus(0, "tree", iface); r.stdout != "└─ /org\n  └─ /org/bc\n    └─ /org/bc/Test\n" {
			t.Errorf("tree:\n%s", r.stdout)
		}
		if r := bus(0, "tree", "--list", iface); r.stdout != "/\n/org\n/org/bc\n/org/bc/Test\n" {
			t.Errorf("tree --list:\n%s", r.stdout)
		}
		r := bus(1, "tree", "org.bc.Nope")
		if !strings.HasPrefix(r.stdout, "Failed to introspect object / of service org.bc.Nope: ") || !strings.HasSuffix(r.stdout, "\nNo objects discovered.\n") {
			t.Errorf("tree of a missing name: %s", r)
		}
		r = bus(0, "introspect", iface, obj)
		for _, want := range []string{`^NAME +TYPE +SIGNATURE +RESULT/VALUE +FLAGS$`, `^org\.bc\.Test +interface - +- +-$`,
			`^\.Hello +method +s +s +-$`, `^\.Hostile +method +- +sa\{sv\}\(ib\) +-$`, `^\.Changed +signal +s +- +-$`} {
			if !regexp.MustCompile("(?m)" + want).MatchString(r.stdout) {
				t.Errorf("introspect lacks %s:\n%s", want, r.stdout)
			}
		}
		if r := bus(0, "introspect", "--xml-interface", iface, obj); !strings.Contains(r.stdout, `<method name="Hello">`) {
			t.Errorf("--xml-interface:\n%s", r.stdout)
		}
	})

	t.Run("call", func(t *testing.T) {
		if r := bus(0, "call", iface, obj, iface, "Hello", "s", "world"); r.stdout != "s \"hi world\"\n" {
			t.Errorf("call: %s", r)
		}
		if r := bus(0, "call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", "s", iface); r.stdout != "b true\n" {
			t.Errorf("call NameHasOwner: %s", r)
		}
		if r := bus(0, "--json=short", "call", iface, obj, iface, "Hello", "s", "j"); r.stdout != `{"type":"s","data":["hi j"]}`+"\n" {
			t.Errorf("call --json=short: %s", r)
		}
		// Hostile strings: C-escaped in argument syntax, escaped in the dump.
		if r := bus(0, "call", iface, obj, iface, "Hostile"); r.stdout != `sa{sv}(ib) "\033]0;pwned\a\n\342\200\243 Type=forged" 1 "k\033[2J" s "v\342\200\256" -7 true`+"\n" {
			t.Errorf("call Hostile: %q", r.stdout)
		}
		r := bus(0, "--verbose", "call", iface, obj, iface, "Hostile")
		checkNoControls(t, "call --verbose", r.stdout)
		if !strings.Contains(r.stdout, `        STRING "\x1b]0;pwned\x07\x0a‣ Type=forged";`+"\n") || !strings.Contains(r.stdout, `STRING "v\u202e";`) {
			t.Errorf("call --verbose Hostile:\n%s", r.stdout)
		}
		r = bus(0, "--json=pretty", "call", iface, obj, iface, "Hostile")
		checkNoControls(t, "call --json=pretty", r.stdout)
		if !json.Valid([]byte(r.stdout)) || !strings.HasPrefix(r.stdout, "{\n\t\"type\" : \"sa{sv}(ib)\",\n") {
			t.Errorf("call --json=pretty:\n%s", r.stdout)
		}
		if r := bus(1, "call", iface, obj, iface, "Hello", "s"); r.stderr != "Too few parameters for signature.\n" {
			t.Errorf("too few: %s", r)
		}
		if r := bus(1, "call", iface, obj, iface, "Hello", "s", "a", "b"); r.stderr != "Too many parameters for signature.\n" {
			t.Errorf("too many: %s", r)
		}
		if r := bus(1, "call", iface, obj, iface, "Nope"); !strings.HasPrefix(r.stderr, "Call failed: ") {
			t.Errorf("unknown method: %s", r)
		}
	})

	t.Run("properties", func(t *testing.T) {
		if r := bus(0, "get-property", iface, obj, iface, "Label"); r.stdout != "s \"first\"\n" {
			t.Errorf("get-property: %s", r)
		}
		bus(0, "set-property", iface, obj, iface, "Label", "s", "second")
		if r := bus(0, "--verbose", "get-property", iface, obj, iface, "Label"); r.stdout != "STRING \"second\";\n" {
			t.Errorf("get-property --verbose: %s", r)
		}
		if r := bus(0, "--json=short", "get-property", iface, obj, iface, "Label"); r.stdout != `{"type":"s","data":"second"}`+"\n" {
			t.Errorf("get-property --json: %s", r)
		}
		if r := bus(1, "set-property", iface, obj, iface, "Label", "s"); r.stderr != "Too few parameters for signature.\n" {
			t.Errorf("set-property without value: %s", r)
		}
	})

	t.Run("emit and wait", func(t *testing.T) {
		wait := bctlStart(t, "-C", name, "bus", "wait", "--timeout=8", obj, iface, "Changed")
		r := untilDone(wait, func() { ctlRun(nil, "-C", name, "bus", "emit", obj, iface, "Changed", "s", "hello") })
		if r.code != 0 || r.stdout != "s \"hello\"\n" {
			t.Errorf("wait: %s", r)
		}
		// Without a signal it ends when the timeout passes, successfully and silently.
		if r := bus(0, "wait", "--timeout=0.2", obj, iface, "Never"); r.stdout != "" {
			t.Errorf("wait timeout: %s", r)
		}
	})

	t.Run("monitor", func(t *testing.T) {
		mon := bctlStart(t, "-C", name, "bus", "monitor", "-N", "2", iface)
		r := untilDone(mon, func() { ctlRun(nil, "-C", name, "bus", "call", iface, obj, iface, "Hello", "s", "m") })
		want := regexp.MustCompile(`(?s)^‣ Type=method_call  Endian=l  Flags=\d  Version=1 Cookie=\d+  Timestamp="\w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} UTC"
  Sender=:1\.\d+  Destination=org\.bc\.Test  Path=/org/bc/Test  Interface=org\.bc\.Test  Member=Hello
  UniqueName=:1\.\d+
  MESSAGE "s" \{
          STRING "m";
  \};

‣ Type=method_return .*STRING "hi m";
  \};

$`)
		if r.code != 0 || !want.MatchString(r.stdout) || !strings.HasPrefix(r.stderr, "Monitoring bus message stream.\n") {
			t.Errorf("monitor: %s", r)
		}
	})

	t.Run("capture", func(t *testing.T) {
		capture := bctlStart(t, "-C", name, "bus", "capture", "-N", "1", iface)
		r := untilDone(capture, func() { ctlRun(nil, "-C", name, "bus", "call", iface, obj, iface, "Hello", "s", "c") })
		b := []byte(r.stdout)
		le := binary.LittleEndian
		if r.code != 0 || len(b) < 64 || le.Uint32(b) != 0x0A0D0D0A || le.Uint32(b[8:]) != 0x1A2B3C4D {
			t.Fatalf("capture: not pcapng: %s", r)
		}
		shb := le.Uint32(b[4:])
		idb := b[shb:]
		epb := idb[le.Uint32(idb[4:]):]
		if le.Uint32(idb) != 1 || le.Uint16(idb[8:]) != 231 || le.Uint32(epb) != 6 || !bytes.Contains(epb, []byte("Hello")) {
			t.Errorf("capture blocks: %x", b)
		}
		// A terminal is refused before anything is written.
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer ptmx.Close()
		defer tty.Close()
		cmd := osexec.Command(filepath.Join(e.bin, "capsulectl"), "-C", name, "bus", "capture")
		cmd.Env = append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir)
		var errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = tty, &errb
		err = cmd.Run()
		if cmd.ProcessState.ExitCode() != 1 || errb.String() != "Refusing to write message data to console, please redirect output to a file.\n" {
			t.Errorf("capture to a terminal: %v %q", err, errb.String())
		}
	})

	t.Run("errors", func(t *testing.T) {
		if r := ctlRun(nil, "-C", "bcnone"+name[4:], "bus"); r.code != 1 || r.stderr != "Failed to set bus address: No such file or directory\n" {
			t.Errorf("no such capsule: %s", r)
		}
		if r := ctlRun(nil, "-C", "../x", "bus"); r.code != 1 || r.stderr != "Invalid capsule name: ../x\n" {
			t.Errorf("invalid name: %s", r)
		}
		if r := bus(1, "call", "org.bc.Test", "not-a-path", iface, "Hello"); r.stderr != "Invalid object path: not-a-path\n" {
			t.Errorf("invalid path: %s", r)
		}
	})
}

// TestCapsuleBusRefusesPlantedSocket checks that capsulectl -C NAME bus
// never follows what the capsule (or anyone) put in place of the bus
// socket, with busctl 257's errors.
func TestCapsuleBusRefusesPlantedSocket(t *testing.T) {
	name := startCapsule(t, "bcref")
	other := startCapsule(t, "bcref")
	ctl(t, 0, "-C", other, "bus")
	dir := "/run/capsules/" + name
	bus := func() result { return ctlRun(nil, "-C", name, "bus", "list") }
	if r := bus(); r.code != 0 {
		t.Fatalf("bus before tampering: %s", r)
	}
	// The capsule itself replaces its socket with a symlink to another
	// capsule's bus (which root could reach).
	inCapsule(t, name, 0, `cd "$XDG_RUNTIME_DIR" && mv bus bus.real && ln -s /run/capsules/`+other+`/bus bus`)
	if r := bus(); r.code != 1 || r.stderr != "Failed to set bus address: Remote address changed\n" {
		t.Errorf("capsule-made symlink: %s", r)
	}
	// A symlink root made there is an unsafe ownership transition.
	os.Remove(dir + "/bus")
	if err := os.Symlink("/run/capsules/"+other+"/bus", dir+"/bus"); err != nil {
		t.Fatal(err)
	}
	if r := bus(); r.code != 1 || r.stderr != "Failed to set bus address: Link has been severed\n" {
		t.Errorf("root-made symlink: %s", r)
	}
	os.Remove(dir + "/bus")
	if err := os.Rename(dir+"/bus.real", dir+"/bus"); err != nil {
		t.Fatal(err)
	}
	uid, _ := capsuleUID(t, name)
	for _, c := range []struct {
		owner int
		want  string
	}{{0, "Link has been severed"}, {1000, "Link has been severed"}, {1, "Link has been severed"}} {
		os.Lchown(dir+"/bus", c.owner, c.owner)
		if r := bus(); r.code != 1 || r.stderr != "Failed to set bus address: "+c.want+"\n" {
			t.Errorf("socket owned by %d: %s", c.owner, r)
		}
	}
	// Directory and socket both of a system user: refused before connecting.
	os.Lchown(dir, 1, 1)
	os.Lchown(dir+"/bus", 1, 1)
	if r := bus(); r.code != 1 || r.stderr != "Failed to set bus address: Operation not permitted\n" {
		t.Errorf("system user: %s", r)
	}
	os.Lchown(dir, uid, uid)
	os.Lchown(dir+"/bus", uid, uid)
	if r := bus(); r.code != 0 {
		t.Errorf("restored: %s", r)
	}
}

// TestEscapeBusConnectPtrace is a capsule that stalls capsulectl's
// connect() to its bus (its own socket with a full backlog in place of
// the bus) and, while one thread of capsulectl holds the capsule's UID,
// tries to ptrace that thread and to read its memory. The kernel clears
// the process's dumpable flag when that thread changes its effective UID
// (fs.suid_dumpable=0), so both must fail.
//
// The capsule's Landlock domain (kernel 6.12 and later) denies ptrace
// outside it too, so the attempt is made twice: from a service of the
// capsule, and from a process with the capsule's UID but no sandbox, as
// on a kernel without Landlock, where the dumpable flag is what stops it.
func TestEscapeBusConnectPtrace(t *testing.T) {
	name := startCapsule(t, "bcptr")
	uid, _ := capsuleUID(t, name)
	ctl(t, 0, "-C", name, "bus") // the broker runs; the hostile socket replaces its listener
	bin := staticProgram(t, "busptrace")
	dst := filepath.Join("/var/lib/capsules", name, "busptrace")
	if b, err := os.ReadFile(bin); err != nil || os.WriteFile(dst, b, 0o755) != nil {
		t.Fatalf("copy %s: %v", bin, err)
	}
	t.Run("from the capsule", func(t *testing.T) {
		busPtrace(t, name, uid, bctlStart(t, "run", "-q", "-C", name, "-u", "bc-ptrace", "-P", dst))
	})
	t.Run("with the capsule's UID outside its sandbox", func(t *testing.T) {
		// The capsule's home is behind root's /var/lib/private: run a copy
		// from its runtime directory, which its UID may enter.
		host := filepath.Join("/run/capsules", name, "busptrace")
		if b, err := os.ReadFile(bin); err != nil || os.WriteFile(host, b, 0o755) != nil {
			t.Fatalf("copy %s: %v", bin, err)
		}
		cmd := osexec.Command(host)
		cmd.Env = []string{"XDG_RUNTIME_DIR=/run/capsules/" + name}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		busPtrace(t, name, uid, func() result {
			cmd.Wait()
			return result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
		})
	})
}

// busPtrace drives one attempt of TestEscapeBusConnectPtrace; hostile
// waits for the hostile program's end.
func busPtrace(t *testing.T, name string, uid int, hostile func() result) {
	dir := filepath.Join("/run/capsules", name)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(dir + "/bc-ready"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hostile program not ready: %s", hostile())
		}
	}
	cmd := osexec.Command(filepath.Join(e.bin, "capsulectl"), "-C", name, "bus", "list")
	cmd.Env = append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	// capsulectl's connecting thread, as root sees it.
	tid := 0
	want := fmt.Sprintf("Uid:\t%d\t%d\t%d\t%d\n", uid, uid, uid, uid)
	for deadline := time.Now().Add(10 * time.Second); tid == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", cmd.Process.Pid))
		for _, d := range tasks {
			if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", cmd.Process.Pid, d.Name())); err == nil && strings.Contains(string(st), want) {
				fmt.Sscan(d.Name(), &tid)
			}
		}
	}
	if tid == 0 {
		t.Fatalf("capsulectl never had a thread with the capsule's UID %d", uid)
	}
	if err := os.WriteFile(dir+"/bc-go", []byte(fmt.Sprint(tid)), 0o644); err != nil {
		t.Fatal(err)
	}
	h := hostile()
	if err := cmd.Wait(); cmd.ProcessState.ExitCode() != 1 || !strings.HasPrefix(out.String(), "Failed to connect to system scope bus via capsule transport: ") {
		t.Errorf("capsulectl against the stalling socket: %v %s", err, out.String())
	}
	if h.stdout != fmt.Sprintf("tried %d attach=EPERM vmread=EPERM\n", tid) {
		t.Errorf("the capsule against capsulectl's thread %d: %s", tid, h)
	}
	if r := ctlRun(nil, "-C", name, "bus", "list"); r.code != 0 {
		t.Errorf("bus after the attempt: %s", r)
	}
}
