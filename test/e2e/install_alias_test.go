package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstallAliasAndAlso: enable follows [Install]'s Also= (the other
// unit is enabled too) and makes the Alias= link; the unit then answers
// to its alias (start, show, status act on the unit itself, which lists
// the alias among its Names=), is-enabled calls the alias "alias", and
// disable undoes all of it, as systemd 257 does (observed: Id= and Names=
// of the alias are the unit's; is-enabled prints alias/enabled/enabled).
func TestInstallAliasAndAlso(t *testing.T) {
	c := startCapsule(t, "ia")
	cfg := "/var/lib/capsules/" + c + "/.config/systemd/user/"
	writeCapsuleFiles(t, c, map[string]string{
		"iamain.service":  "[Unit]\nDescription=Main\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n[Install]\nWantedBy=default.target\nAlias=iaalias.service\nAlso=iaother.service\n",
		"iaother.service": "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n[Install]\nWantedBy=default.target\nRequiredBy=capsule@.target\n",
	})
	r := ctl(t, 0, "-C", c, "enable", "iamain.service")
	for _, l := range []string{
		"Created symlink '" + cfg + "iaalias.service' → '" + cfg + "iamain.service'.",
		"Created symlink '" + cfg + "default.target.wants/iamain.service' → '" + cfg + "iamain.service'.",
		"Created symlink '" + cfg + "default.target.wants/iaother.service' → '" + cfg + "iaother.service'.",
		"Created symlink '" + cfg + "capsule@.target.requires/iaother.service' → '" + cfg + "iaother.service'.",
	} {
		if !strings.Contains(r.stdout+r.stderr, l) {
			t.Errorf("enable lacks %q: %s", l, r)
		}
	}
	dir := capsuleUnitDir(c)
	for _, p := range []string{"iaalias.service", "default.target.wants/iamain.service", "default.target.wants/iaother.service", "capsule@.target.requires/iaother.service"} {
		if _, err := os.Lstat(filepath.Join(dir, p)); err != nil {
			t.Errorf("enable: %v", err)
		}
	}
	if r := ctl(t, 0, "-C", c, "is-enabled", "iaalias.service", "iamain.service", "iaother.service"); r.stdout != "alias\nenabled\nenabled\n" {
		t.Errorf("is-enabled: %s", r)
	}

	ctl(t, 0, "-C", c, "start", "iaalias.service")
	want := "Id=iamain.service\nNames=iamain.service iaalias.service\nActiveState=active\n"
	for _, u := range []string{"iaalias.service", "iamain.service"} {
		if r := ctl(t, 0, "-C", c, "show", "-p", "Id,Names,ActiveState", u); r.stdout != want {
			t.Errorf("show %s:\n%s\nwant:\n%s", u, r.stdout, want)
		}
	}
	if r := ctl(t, 0, "-C", c, "status", "iaalias.service"); !strings.HasPrefix(r.stdout, "● iamain.service - Main\n") {
		t.Errorf("status of the alias: %s", r)
	}
	ctl(t, 0, "-C", c, "stop", "iaalias")
	if r := ctlRun(nil, "-C", c, "is-active", "iamain.service"); strings.TrimSpace(r.stdout) != "inactive" {
		t.Errorf("stop of the alias left the unit %s", r)
	}

	ctl(t, 0, "-C", c, "disable", "iamain.service")
	for _, p := range []string{"iaalias.service", "default.target.wants/iamain.service", "default.target.wants/iaother.service", "capsule@.target.requires/iaother.service"} {
		if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
			t.Errorf("disable left %s", p)
		}
	}
	if r := ctlRun(nil, "-C", c, "is-enabled", "iamain.service", "iaother.service"); r.stdout != "disabled\ndisabled\n" {
		t.Errorf("is-enabled after disable: %s", r)
	}
}
