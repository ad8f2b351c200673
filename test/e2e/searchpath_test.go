package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestRelativeCommandFixedSearchPath: a bare command name is looked up in
// systemd 257's fixed list (/usr/local/sbin:/usr/local/bin:/usr/sbin:
// /usr/bin), not in the PATH of the manager's environment, which the
// process still gets; run's command likewise, with PATH unset.
func TestRelativeCommandFixedSearchPath(t *testing.T) {
	c := startCapsule(t, "spa")
	capsuleUnit(t, c, "farel.service", "[Service]\nType=oneshot\nExecStart=sh -c 'echo PATH=$$PATH'\n")
	ctl(t, 0, "-C", c, "set-environment", "PATH=/nonexistent")
	ctl(t, 0, "-C", c, "start", "farel.service")
	if r := ctl(t, 0, "-C", c, "logs", "-u", "farel.service", "-o", "cat"); !strings.Contains(r.stdout, "PATH=/nonexistent\n") {
		t.Errorf("ExecStart=sh with PATH=/nonexistent in the manager's environment logged:\n%s", r.stdout)
	}
	ctl(t, 0, "-C", c, "unset-environment", "PATH")
	if r := ctl(t, 0, "-C", c, "run", "-q", "-P", "sh", "-c", "echo ran"); r.stdout != "ran\n" {
		t.Errorf("run sh with PATH unset: %s", r)
	}
}

// TestExecSearchPath: ExecSearchPath= replaces the fixed list (sh is not
// found outside it: 203/EXEC) and is the process's PATH unless
// Environment= gives one, as systemd 257 does.
func TestExecSearchPath(t *testing.T) {
	c := startCapsule(t, "esp")
	dir := "/var/lib/private/capsules/" + c + "/bin"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/faprobe", []byte("#!/bin/sh\necho probe PATH=$PATH\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	bin := "/var/lib/capsules/" + c + "/bin"
	capsuleUnit(t, c, "faesp.service", "[Service]\nType=oneshot\nExecSearchPath=/nonexistent:"+bin+"\nExecStart=faprobe\n")
	capsuleUnit(t, c, "faesp2.service", "[Service]\nType=oneshot\nExecSearchPath="+bin+"\nEnvironment=PATH=/x\nExecStart=faprobe\n")
	capsuleUnit(t, c, "faesp3.service", "[Service]\nType=oneshot\nExecSearchPath="+bin+"\nExecStart=sh -c true\n")
	for unit, want := range map[string]string{"faesp.service": "probe PATH=/nonexistent:" + bin + "\n", "faesp2.service": "probe PATH=/x\n"} {
		ctl(t, 0, "-C", c, "start", unit)
		if r := ctl(t, 0, "-C", c, "logs", "-u", unit, "-o", "cat"); !strings.Contains(r.stdout, want) {
			t.Errorf("%s logged:\n%s\nwant %q", unit, r.stdout, want)
		}
	}
	if got := ctl(t, 0, "-C", c, "show", "-p", "ExecSearchPath", "faesp.service").stdout; got != "ExecSearchPath=/nonexistent "+bin+"\n" {
		t.Errorf("show -p ExecSearchPath: %q", got)
	}
	ctl(t, 1, "-C", c, "start", "faesp3.service")
	if got := ctl(t, 0, "-C", c, "show", "-p", "Result,ExecMainStatus", "faesp3.service").stdout; got != "Result=exit-code\nExecMainStatus=203\n" {
		t.Errorf("sh outside ExecSearchPath=: %q", got)
	}
}
