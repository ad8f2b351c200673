package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// argvScript makes an Exec*= line print the words it was given, as
// [w1][w2]..., on one line.
const argvScript = `/bin/sh -c 'printf "[%%s]" "$$0" "$$@"; echo'`

// TestExecLineExpansion: Exec*= lines expand $VAR into words and ${VAR}
// in place, as systemd.service(5)'s examples show and systemd 257 runs
// them, and the unit's log names what was unset.
func TestExecLineExpansion(t *testing.T) {
	unit := fmt.Sprintf("evexp%d.service", os.Getpid())
	systemUnit(t, unit, "[Service]\nType=oneshot\n"+
		"Environment=ONE='one' \"TWO='two two' too\" THREE=\n"+
		"ExecStart="+argvScript+" ${ONE} ${TWO} ${THREE}\n"+
		"ExecStart="+argvScript+" $ONE $TWO $THREE\n"+
		"ExecStart="+argvScript+" $$ONE x${UNSET}y $UNSET ${ONE:-d}\n"+
		"ExecStart=:/bin/echo $ONE ${ONE} $$\n")
	ctl(t, 0, "start", unit)
	logs := ctl(t, 0, "logs", "-u", unit).stdout
	for _, want := range []string{
		"[one]['two two' too][]",
		"[one][two two][too]",
		"[$ONE][xy][${ONE:-d}]",
		"$ONE ${ONE} $$",
		unit + ": Referenced but unset environment variable evaluates to an empty string: UNSET",
	} {
		if !strings.Contains(logs, want+"\n") {
			t.Errorf("log of %s lacks %q:\n%s", unit, want, logs)
		}
	}
}

// TestEnvironmentFiles: a unit's environment is built in systemd.exec(5)'s
// order (Environment= over PassEnvironment=, EnvironmentFile= over both,
// UnsetEnvironment= last), with the values systemd 257 gave for the same
// file; a missing file fails the start unless "-" says it may be missing.
func TestEnvironmentFiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "env")
	if err := os.WriteFile(file, []byte("# comment\nP=file\nB = two words  \nexport F=exp\nC=\"dq \\\"x\\\" \\$y\"\nE=cont\\\ninued\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unit := fmt.Sprintf("evfile%d.service", os.Getpid())
	systemUnit(t, unit, "[Service]\nType=oneshot\n"+
		"Environment=P=env Q=env R=$Q U=1 PATH=/usr/bin:/bin\n"+
		"EnvironmentFile="+file+"\nEnvironmentFile=-"+dir+"/none\n"+
		"PassEnvironment=HOME\nUnsetEnvironment=INVOCATION_ID U\n"+
		"ExecStart=/bin/sh -c 'env | sort | sed s/^/env:/'\n")
	ctl(t, 0, "start", unit)
	logs := ctl(t, 0, "logs", "-u", unit).stdout
	want := []string{"env:P=file", "env:Q=env", "env:R=$Q", "env:B=two words", `env:C=dq "x" $y`, "env:E=continued",
		unit + ": Ignoring invalid environment assignment 'export F=exp': " + file}
	if home := os.Getenv("HOME"); home != "" {
		want = append(want, "env:HOME="+home)
	}
	for _, w := range want {
		if !strings.Contains(logs, w+"\n") {
			t.Errorf("log of %s lacks %q:\n%s", unit, w, logs)
		}
	}
	for _, no := range []string{"env:U=", "env:INVOCATION_ID=", "env:export"} {
		if strings.Contains(logs, no) {
			t.Errorf("log of %s has %q:\n%s", unit, no, logs)
		}
	}

	missing := fmt.Sprintf("evnofile%d.service", os.Getpid())
	systemUnit(t, missing, "[Service]\nType=oneshot\nEnvironmentFile="+dir+"/none\nExecStart=/bin/true\n")
	t.Cleanup(func() { ctlRun(nil, "reset-failed", missing) })
	if r := ctlRun(nil, "start", missing); r.code == 0 {
		t.Errorf("start %s with a missing EnvironmentFile=: %s", missing, r)
	}
	wantOutput(t, 0, "Result=resources\n", "show", "-p", "Result", missing)
}

// TestEscapeEnvironmentFileSymlink: a capsule links, in its home, to a
// file only root may read, which a system unit names in EnvironmentFile=.
// The system manager reads environment files as root (as systemd does),
// so it must not follow a link the capsule made: the unit fails to start
// and the file's content reaches no process. The capsule's own units read
// files of its home.
func TestEscapeEnvironmentFileSymlink(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	secret := fmt.Sprintf("ev-secret-%d", os.Getpid())
	if err := os.WriteFile(secretFile, []byte("SECRET="+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	name := startCapsule(t, "evl")
	inCapsule(t, name, 0, "ln -s "+secretFile+" ~/envlink && printf 'OWN=mine\\n' >~/envown")

	unit := fmt.Sprintf("evleak%d.service", os.Getpid())
	systemUnit(t, unit, "[Service]\nType=oneshot\nEnvironmentFile=/var/lib/capsules/"+name+"/envlink\n"+
		"ExecStart=/bin/sh -c 'echo got=$${SECRET}'\n")
	t.Cleanup(func() { ctlRun(nil, "reset-failed", unit) })
	if r := ctlRun(nil, "start", unit); r.code == 0 {
		t.Errorf("start %s, whose EnvironmentFile= is the capsule's link to a root-only file, succeeded", unit)
	}
	logs := ctl(t, 0, "logs", "-u", unit).stdout
	if strings.Contains(logs, secret) {
		t.Errorf("the root-only file's content reached the unit:\n%s", logs)
	}
	if !strings.Contains(logs, "refusing to follow the symbolic link envlink") {
		t.Errorf("log of %s does not say why:\n%s", unit, logs)
	}

	r := ctl(t, 0, "run", "-q", "-C", name, "-P", "-p", "EnvironmentFile=%h/envown", "/bin/sh", "-c", "echo own=$OWN")
	if r.stdout != "own=mine\n" {
		t.Errorf("capsule unit with EnvironmentFile=%%h/envown printed %q, want own=mine", r.stdout)
	}
}

// TestManagerEnvironment: set-environment, unset-environment and
// show-environment change and print the manager's environment block, which
// the processes started afterwards get, with systemctl 257's escaping and
// errors.
func TestManagerEnvironment(t *testing.T) {
	name := startCapsule(t, "evm")
	ctl(t, 0, "-C", name, "set-environment", "SP=a b", "SQ=it's", "NL=a\nb", "DL=$x", "PL=plain", "EM=")
	out := ctl(t, 0, "-C", name, "show-environment").stdout
	want := "DL=$'$x'\nEM=\nNL=$'a\\nb'\nPL=plain\nSP=$'a b'\nSQ=$'it\\'s'\n"
	if !strings.HasSuffix(out, want) || !strings.Contains(out, "HOME=/var/lib/capsules/"+name+"\n") {
		t.Errorf("show-environment:\n%s\nwant the start block, then:\n%s", out, want)
	}
	// The system manager's variables for the capsule manager's own process
	// are not in its block (systemd 257's capsule shows none).
	for _, k := range []string{"SYSTEMD_EXEC_PID=", "INVOCATION_ID=", "NOTIFY_SOCKET=", "MANAGERPID="} {
		if strings.Contains(out, k) {
			t.Errorf("show-environment of a capsule has %s:\n%s", k, out)
		}
	}
	if r := ctl(t, 0, "run", "-q", "-C", name, "-P", "/bin/sh", "-c", `echo "$SP|$PL|$NL"`); r.stdout != "a b|plain|a\nb\n" {
		t.Errorf("a process started after set-environment printed %q", r.stdout)
	}
	if v := ctl(t, 0, "-C", name, "show", "-P", "Environment").stdout; !strings.Contains(v, ` "NL=a\nb" PL=plain "SP=a b" "SQ=it's"`) {
		t.Errorf("show -P Environment: %s", v)
	}
	ctl(t, 0, "-C", name, "unset-environment", "SP", "SQ=nomatch", "PL=plain", "NOSUCH")
	out = ctl(t, 0, "-C", name, "show-environment").stdout
	if strings.Contains(out, "SP=") || strings.Contains(out, "PL=") || !strings.Contains(out, "SQ=") {
		t.Errorf("after unset-environment SP SQ=nomatch PL=plain:\n%s", out)
	}
	for _, tc := range []struct{ args, msg string }{
		{"set-environment\x00BAD NAME=x", "Failed to set environment: Invalid environment assignments\n"},
		{"set-environment\x00NOEQ", "Failed to set environment: Invalid environment assignments\n"},
		{"unset-environment\x001x", "Failed to set environment: Invalid environment variable names or assignments\n"},
	} {
		r := ctlRun(nil, append([]string{"-C", name}, strings.Split(tc.args, "\x00")...)...)
		if r.code != 1 || r.stderr != tc.msg {
			t.Errorf("%q: %s, want exit 1 and %q", tc.args, r, tc.msg)
		}
	}

	// The system manager's block reaches its units the same way.
	v := fmt.Sprintf("EVTEST%d", os.Getpid())
	ctl(t, 0, "set-environment", v+"=sys")
	t.Cleanup(func() { ctlRun(nil, "unset-environment", v) })
	unit := fmt.Sprintf("evmgr%d.service", os.Getpid())
	systemUnit(t, unit, "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo got=$$"+v+"'\n")
	ctl(t, 0, "start", unit)
	if logs := ctl(t, 0, "logs", "-u", unit).stdout; !strings.Contains(logs, "got=sys\n") {
		t.Errorf("system unit started after set-environment %s=sys:\n%s", v, logs)
	}
}

// TestLargeEnvironment: a unit whose environment is larger than a pipe's
// default 64 KiB (one EnvironmentFile= value of 100 KiB, as execve takes
// up to 128 KiB a string) runs, as under systemd, where it failed with
// Result=resources before.
func TestLargeEnvironment(t *testing.T) {
	c := startCapsule(t, "lenv")
	home := "/var/lib/private/capsules/" + c
	big := strings.Repeat("x", 100*1024)
	if err := os.WriteFile(home+"/big.env", []byte("BIG="+big+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeUnits(t, c, map[string]string{
		"lenv.service": "[Service]\nType=oneshot\nEnvironmentFile=%h/big.env\nExecStart=/bin/sh -c 'echo len=$${#BIG}'\n",
	})
	ctl(t, 0, "-C", c, "start", "lenv.service")
	if r := ctl(t, 0, "-C", c, "logs", "-u", "lenv.service", "-o", "cat"); !strings.Contains(r.stdout, fmt.Sprintf("len=%d\n", len(big))) {
		t.Errorf("the unit did not see its 100 KiB variable: %s", r)
	}
}
