package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSystemUnitCredentials: User=, Group= and SupplementaryGroups= of
// system units as systemd 257 applies them (observed there with the same
// users): Group= replaces the user's primary group, the user's groups from
// the group database and the supplementary ones follow; Group= alone runs
// as root with that group; an unknown user fails with 217/USER, an unknown
// supplementary group with 216/GROUP; DynamicUser= without User= takes the
// unit's name. In a capsule, SupplementaryGroups= fails with 216/GROUP.
func TestSystemUnitCredentials(t *testing.T) {
	gid := func(name string) string {
		out, err := exec.Command("getent", "group", name).Output()
		if err != nil {
			t.Skipf("no group %s here", name)
		}
		return strings.Split(string(out), ":")[2]
	}
	uid := func(name string) string {
		out, err := exec.Command("id", "-u", name).Output()
		if err != nil {
			t.Skipf("no user %s here", name)
		}
		return strings.TrimSpace(string(out))
	}
	extra, err := exec.Command("id", "-G", "games").Output()
	if err != nil || strings.TrimSpace(string(extra)) != gid("games") {
		t.Skip("games has groups of its own here")
	}
	p := fmt.Sprintf("exu%d", os.Getpid())
	const show = "ExecStart=/bin/sh -c 'echo id=$$(id -u):$$(id -g):$$(id -G) name=$$(id -un)'\n"
	units := map[string]string{
		p + "grp.service":     "[Service]\nType=oneshot\nUser=games\nGroup=mail\nSupplementaryGroups=audio video\n" + show,
		p + "grponly.service": "[Service]\nType=oneshot\nGroup=mail\n" + show,
		p + "dyn.service":     "[Service]\nType=oneshot\nDynamicUser=yes\n" + show,
		p + "nouser.service":  "[Service]\nType=oneshot\nUser=exnosuchuser\nExecStart=/bin/true\n",
		p + "nogrp.service":   "[Service]\nType=oneshot\nUser=games\nSupplementaryGroups=exnosuchgroup\nExecStart=/bin/true\n",
	}
	for n, text := range units {
		systemUnit(t, n, text)
		n := n
		// A failed system unit would leave the manager degraded.
		t.Cleanup(func() { ctlRun(nil, "reset-failed", n) })
	}
	ctl(t, 0, "daemon-reload")
	out := func(unit string) string {
		t.Helper()
		ctl(t, 0, "start", unit)
		for _, l := range strings.Split(logsWith(t, "id=", "logs", "-u", unit), "\n") {
			if i := strings.Index(l, "id="); i >= 0 {
				return l[i:]
			}
		}
		t.Errorf("%s printed nothing", unit)
		return ""
	}
	mail := gid("mail")
	if got, want := out(p+"grp.service"), "id="+uid("games")+":"+mail+":"+mail+" "+gid("audio")+" "+gid("video")+" name=games"; got != want {
		t.Errorf("grp: %q, want %q", got, want)
	}
	if got, want := out(p+"grponly.service"), "id=0:"+mail+":"+mail+" name=root"; got != want {
		t.Errorf("grponly: %q, want %q", got, want)
	}
	if got := out(p + "dyn.service"); !strings.HasSuffix(got, " name="+p+"dyn") {
		t.Errorf("dyn: %q, want the user %sdyn", got, p)
	}
	if got := ctl(t, 0, "show", "-p", "User,Group", p+"dyn.service").stdout; got != "User="+p+"dyn\nGroup="+p+"dyn\n" {
		t.Errorf("dyn: show %q", got)
	}
	for unit, want := range map[string]string{p + "nouser.service": "217/USER", p + "nogrp.service": "216/GROUP"} {
		ctl(t, 1, "start", unit)
		logs := ctl(t, 0, "logs", "-u", unit).stdout
		if !strings.Contains(logs, unit+": Main process exited, code=exited, status="+want) {
			t.Errorf("logs of %s, want %s:\n%s", unit, want, logs)
		}
		if got := ctl(t, 0, "show", "-p", "Result", unit).stdout; got != "Result=exit-code\n" {
			t.Errorf("%s: %q", unit, got)
		}
		// As in systemd 257 (observed): the failing process has a PID of
		// its own, shown by status.
		pid := strings.TrimSpace(ctl(t, 0, "show", "-P", "ExecMainPID", unit).stdout)
		st := ctlRun(nil, "status", unit).stdout
		if w := "   Main PID: " + pid + " (code=exited, status=" + want + ")\n"; pid == "0" || !strings.Contains(st, w) ||
			!strings.Contains(st, "    Process: "+pid+" ExecStart=") {
			t.Errorf("status of %s lacks its failed process's PID:\n%s", unit, st)
		}
	}

	c := startCapsule(t, "exsg")
	writeUnits(t, c, map[string]string{"supp.service": "[Service]\nType=oneshot\nSupplementaryGroups=audio\nExecStart=/bin/true\n"})
	ctl(t, 1, "-C", c, "start", "supp.service")
	logs := ctl(t, 0, "-C", c, "logs", "-u", "supp.service").stdout
	if !strings.Contains(logs, "supp.service: Main process exited, code=exited, status=216/GROUP") {
		t.Errorf("capsule's supp.service:\n%s", logs)
	}
}
