package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEscapeUnitFileLinksToShadow: a capsule links its unit files, a
// drop-in and a drop-in directory to root's files (/etc/shadow, /etc).
// cat, list-unit-files, mask and edit are done by the capsule's manager as
// the capsule's user, so none of them shows a byte of /etc/shadow or
// writes anything outside the capsule, however root runs capsulectl.
func TestEscapeUnitFileLinksToShadow(t *testing.T) {
	shadow, err := os.ReadFile("/etc/shadow")
	if err != nil || len(shadow) == 0 {
		t.Skipf("no /etc/shadow to guard: %v", err)
	}
	before, _ := os.Stat("/etc/shadow")
	secret := strings.SplitN(string(shadow), "\n", 2)[0]
	c := startCapsule(t, "cm")
	dir := capsuleUnitDir(c)
	writeCapsuleFiles(t, c, map[string]string{
		"cmdrop.service": "[Service]\nExecStart=/bin/sleep 1000\n",
		"cmetc.service":  "[Service]\nExecStart=/bin/sleep 1000\n",
	})
	// In order: the drop-in directory before the link in it.
	for _, l := range []struct{ link, target string }{
		{"cmsh.service", "/etc/shadow"},
		{"cmdrop.service.d", ""},
		{"cmdrop.service.d/x.conf", "/etc/shadow"},
		{"cmetc.service.d", "/etc"},
	} {
		link, target := l.link, l.target
		p := filepath.Join(dir, link)
		if target == "" {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	ownByCapsule(t, c)
	ctl(t, 0, "-C", c, "daemon-reload")
	leaks := func(what string, r result) {
		t.Helper()
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("%s shows /etc/shadow:\n%s", what, r)
		}
	}
	for _, u := range []string{"cmsh.service", "cmdrop.service"} {
		r := ctlRun(nil, "-C", c, "cat", u)
		leaks("cat "+u, r)
		if r.code != 1 {
			t.Errorf("cat %s through a link to /etc/shadow: %s", u, r)
		}
	}
	r := ctl(t, 0, "-C", c, "list-unit-files", "cmsh*")
	leaks("list-unit-files", r)
	if !strings.Contains(r.stdout, "cmsh.service bad ") {
		t.Errorf("list-unit-files of a link to /etc/shadow: %s", r)
	}
	r = ctl(t, 1, "-C", c, "mask", "cmsh")
	if !strings.Contains(r.stderr, "already exists and is a symlink to /etc/shadow") {
		t.Errorf("mask over a link to /etc/shadow: %s", r)
	}
	for _, args := range [][]string{
		{"edit", "--stdin", "--full", "cmsh"},
		{"edit", "--stdin", "--drop-in=x", "cmdrop"},
		{"edit", "--stdin", "--drop-in=cmpwn", "cmetc"},
	} {
		r := ctlWithStdin(t, "[Service]\nEnvironment=PWNED=1\n", append([]string{"-C", c}, args...)...)
		leaks(strings.Join(args, " "), r)
		if r.code == 0 {
			t.Errorf("%v through a link to root's files succeeded: %s", args, r)
		}
	}
	after, _ := os.Stat("/etc/shadow")
	if b, _ := os.ReadFile("/etc/shadow"); !bytes.Equal(b, shadow) || !after.ModTime().Equal(before.ModTime()) {
		t.Fatalf("/etc/shadow was changed")
	}
	if _, err := os.Lstat("/etc/cmpwn.conf"); err == nil {
		os.Remove("/etc/cmpwn.conf")
		t.Errorf("edit wrote /etc/cmpwn.conf through the capsule's link to /etc")
	}
}
