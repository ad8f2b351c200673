package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSandboxPaths: the path settings of a system service, each checked
// from inside it.
func TestSandboxPaths(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"rw", "ro", "hide", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "hide", "secret"), []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "shared"), []byte("shared\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `d=` + dir + `
touch $d/rw/a 2>/dev/null && echo rw-writable
touch $d/ro/a 2>/dev/null || echo ro-refused
cat $d/hide/secret 2>/dev/null || echo hide-empty
touch $d/other 2>/dev/null || echo strict-refused
cat $d/tmp/shared
touch $d/tmp/new 2>/dev/null || echo tmpfs-read-only
ls /dev | tr '\n' ' '; echo
echo x > /dev/null && echo dev-null-ok
echo 1 > /proc/sys/vm/overcommit_memory 2>/dev/null || echo proc-sys-refused
touch /sys/fs/cgroup/x 2>/dev/null || echo cgroup-refused
tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '
test -e /proc/sys || echo proc-subset-pid
`
	r := ctlRun(nil, "run", "-q", "-P", "-p", "ProtectSystem=strict", "-p", "ReadWritePaths="+dir+"/rw",
		"-p", "ReadOnlyPaths=-"+dir+"/ro", "-p", "InaccessiblePaths="+dir+"/hide -/nonexistent",
		"-p", "TemporaryFileSystem="+dir+"/tmp:ro", "-p", "BindReadOnlyPaths="+dir+"/shared:"+dir+"/tmp/shared",
		"-p", "PrivateDevices=yes", "-p", "ProtectKernelTunables=yes", "-p", "ProtectControlGroups=yes",
		"-p", "PrivateNetwork=yes", "sh", "-c", script)
	want := "rw-writable\nro-refused\nhide-empty\nstrict-refused\nshared\ntmpfs-read-only\n" +
		"fd full null ptmx pts random shm stderr stdin stdout tty urandom zero \ndev-null-ok\nproc-sys-refused\ncgroup-refused\nlo\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("path settings:\n%s\nwant stdout:\n%s", r, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "rw", "a")); err != nil {
		t.Errorf("ReadWritePaths= write did not reach the host: %v", err)
	}
	r = ctlRun(nil, "run", "-q", "-P", "-p", "ProcSubset=pid", "sh", "-c", "test -e /proc/sys || echo no-sys; test -e /proc/self/status && echo own-pid")
	if r.stdout != "no-sys\nown-pid\n" {
		t.Errorf("ProcSubset=pid: %s", r)
	}
	// The older settings: a private /tmp, /root hidden, /etc read-only,
	// no_new_privs.
	marker := fmt.Sprintf("sb-private-tmp-%d", os.Getpid())
	r = ctlRun(nil, "run", "-q", "-P", "-p", "PrivateTmp=yes", "-p", "ProtectHome=yes", "-p", "ProtectSystem=full",
		"-p", "NoNewPrivileges=yes", "sh", "-c", "ls -A /tmp | wc -l; touch /tmp/"+marker+"; ls -A /root | wc -l; "+
			"touch /etc/"+marker+" 2>/dev/null || echo etc-refused; grep ^NoNewPrivs: /proc/self/status")
	if r.stdout != "0\n0\netc-refused\nNoNewPrivs:\t1\n" {
		t.Errorf("PrivateTmp=, ProtectHome=yes, ProtectSystem=full, NoNewPrivileges=: %s", r)
	}
	for _, p := range []string{"/tmp/" + marker, "/etc/" + marker} {
		if _, err := os.Stat(p); err == nil {
			os.Remove(p)
			t.Errorf("%s reached the host", p)
		}
	}
	// ProtectHostname=: a UTS namespace of its own, and sethostname(2)
	// refused even to root, as systemd 257 does.
	hostUTS, err := os.Readlink("/proc/self/ns/uts")
	if err != nil {
		t.Fatal(err)
	}
	r = ctlRun(nil, "run", "-q", "-P", "-p", "ProtectHostname=yes", "sh", "-c", "readlink /proc/self/ns/uts; hostname sb-changed 2>/dev/null || echo refused")
	if lines := strings.Split(r.stdout, "\n"); len(lines) != 3 || lines[0] == hostUTS || lines[1] != "refused" {
		t.Errorf("ProtectHostname=yes (host %s): %s", hostUTS, r)
	}
	// A missing path without "-" fails the start, as in systemd.
	failing := failedTransient(t, "sbmissing")
	if r := ctlRun(nil, "run", "-q", "-P", "-u", failing, "-p", "InaccessiblePaths="+dir+"/missing", "true"); r.code != 226 {
		t.Errorf("InaccessiblePaths= of a missing path: want exit 226 (NAMESPACE), got %s", r)
	}
}

// TestSandboxPathsInCapsule: a capsule's manager cannot make mounts (nor,
// with RestrictNamespaces=yes, a user namespace to make them in), so the
// path settings warn when the unit loads and the unit runs in the
// capsule's own sandbox. (systemd 257's capsules fail such units with
// 226/NAMESPACE.)
func TestSandboxPathsInCapsule(t *testing.T) {
	name := startCapsule(t, "sbp")
	unit := "paths.service"
	writeUnits(t, name, map[string]string{unit: "[Service]\nType=oneshot\nRemainAfterExit=yes\nProtectSystem=strict\n" +
		"InaccessiblePaths=/etc\nPrivateNetwork=yes\nExecStart=/bin/sh -c 'test -r /etc/hostname && echo etc-visible'\n"})
	ctl(t, 0, "-C", name, "start", unit)
	if logs := ctl(t, 0, "-C", name, "logs", "-u", unit).stdout; !strings.Contains(logs, "etc-visible") {
		t.Errorf("unit did not run in the capsule's sandbox:\n%s", logs)
	}
	want := unit + ": ProtectSystem=, InaccessiblePaths=, PrivateNetwork= need the system manager"
	deadline := time.Now().Add(5 * time.Second)
	for {
		logs := ctl(t, 0, "logs", "-u", "capsule@"+name+".service").stdout
		if strings.Contains(logs, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the capsule's log:\n%s", want, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestEscapeReadWritePathsSymlink: a system service is given
// ReadWritePaths= of a directory in a capsule's home. The capsule swaps
// it for a symbolic link to a directory of root's; followed, the link
// would make that directory writable for the service. Only root's links
// are followed: the start fails and root's directory stays untouched.
func TestEscapeReadWritePathsSymlink(t *testing.T) {
	name := startCapsule(t, "rwlink")
	target := t.TempDir() // root's, read-only under ProtectSystem=strict
	inCapsule(t, name, 0, `ln -s `+target+` "$HOME/inbox"`)
	inbox := filepath.Join(homeOf(name), "inbox")
	if fi, err := os.Lstat(inbox); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("capsule made no link at %s: %v", inbox, err)
	}
	r := ctlRun(nil, "run", "-q", "-P", "-u", failedTransient(t, "sbrwlink"), "-p", "ProtectSystem=strict", "-p", "ReadWritePaths="+inbox,
		"sh", "-c", "touch "+inbox+"/planted && echo planted")
	if _, err := os.Stat(filepath.Join(target, "planted")); err == nil {
		t.Errorf("a capsule's link made root's %s writable for a system service: %s", target, r)
	}
	if r.code != 226 {
		t.Errorf("ReadWritePaths= through a capsule's link: want exit 226 (NAMESPACE), got %s", r)
	}
}

// TestPrivateNetworkShared: the processes of one invocation share its
// network namespace (with only "lo"), as in systemd.
func TestPrivateNetworkShared(t *testing.T) {
	unit := fmt.Sprintf("sbnet%d.service", os.Getpid())
	systemUnit(t, unit, "[Service]\nType=oneshot\nRemainAfterExit=yes\nPrivateNetwork=yes\n"+
		"ExecStartPre=/bin/sh -c 'echo pre=$(readlink /proc/self/ns/net)'\n"+
		"ExecStart=/bin/sh -c 'echo main=$(readlink /proc/self/ns/net) $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d \" \")'\n")
	ctl(t, 0, "start", unit)
	logs := ctl(t, 0, "logs", "-u", unit).stdout
	host, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	var pre, main string
	for _, l := range strings.Split(logs, "\n") {
		if i := strings.Index(l, "pre="); i >= 0 {
			pre = l[i+4:]
		}
		if i := strings.Index(l, "main="); i >= 0 {
			main = l[i+5:]
		}
	}
	if pre == "" || pre == host || main != pre+" lo" {
		t.Errorf("ExecStartPre= in %q, ExecStart= in %q (host %s):\n%s", pre, main, host, logs)
	}
}

// TestEscapeBindPathsSymlink: a system service running as nobody gets a
// file of a capsule's home bound in (BindReadOnlyPaths=). The capsule
// makes it a link to a file of root's behind a directory nobody may enter;
// followed, the bind would hand the service the file past that directory.
// The start fails instead, and nothing of the file is shown.
func TestEscapeBindPathsSymlink(t *testing.T) {
	name := startCapsule(t, "bindlink")
	dir := t.TempDir() // 0700, root's
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("root-only\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inCapsule(t, name, 0, `ln -s `+secret+` "$HOME/pub"`)
	r := ctlRun(nil, "run", "-q", "-P", "-u", failedTransient(t, "sbbindlink"), "-p", "User=nobody", "-p", "TemporaryFileSystem=/mnt",
		"-p", "BindReadOnlyPaths="+filepath.Join(homeOf(name), "pub")+":/mnt/pub", "cat", "/mnt/pub")
	if strings.Contains(r.stdout, "root-only") {
		t.Errorf("a capsule's link bound root's file into a service of nobody: %s", r)
	}
	if r.code != 226 {
		t.Errorf("BindReadOnlyPaths= through a capsule's link: want exit 226 (NAMESPACE), got %s", r)
	}
}

// failedTransient names a transient system unit expected to fail and
// resets it when the test ends, so the system manager is not left
// degraded for the tests after.
func failedTransient(t *testing.T, prefix string) string {
	name := fmt.Sprintf("%s%d.service", prefix, os.Getpid())
	t.Cleanup(func() { ctlRun(nil, "reset-failed", name) })
	return name
}
