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

// TestInstallNamesChecked: units naming each other in Also= are enabled
// and disabled once each (before, enable recursed until the manager
// died), and names of Alias=, WantedBy= and RequiredBy= that are no unit
// names, or an alias of another type, are refused before any link is made,
// with systemctl 257's messages (observed: "Failed to enable unit: Invalid
// unit reference ../../../bait.txt", "Cannot alias X.service as
// other.socket", "Invalid unit name ../../x.target"); nothing outside the
// configuration directory is touched.
func TestInstallNamesChecked(t *testing.T) {
	c := startCapsule(t, "inc")
	home := "/var/lib/private/capsules/" + c
	writeCapsuleFiles(t, c, map[string]string{
		"incya.service":  "[Service]\nExecStart=/bin/sleep 100\n[Install]\nWantedBy=default.target\nAlso=incyb.service\n",
		"incyb.service":  "[Service]\nExecStart=/bin/sleep 100\n[Install]\nWantedBy=default.target\nAlso=incya.service\n",
		"incal.service":  "[Service]\nExecStart=/bin/sleep 100\n[Install]\nWantedBy=default.target\nAlias=../../../bait.txt\n",
		"incal2.service": "[Service]\nExecStart=/bin/sleep 100\n[Install]\nAlias=other.socket\n",
		"incwb.service":  "[Service]\nExecStart=/bin/sleep 100\n[Install]\nWantedBy=../../x.target default.target\n",
		"incrb.service":  "[Service]\nExecStart=/bin/sleep 100\n[Install]\nRequiredBy=../y.target\n",
	})
	if err := os.WriteFile(home+"/bait.txt", []byte("bait\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctl(t, 0, "-C", c, "enable", "incya.service")
	dir := capsuleUnitDir(c)
	for _, p := range []string{"default.target.wants/incya.service", "default.target.wants/incyb.service"} {
		if _, err := os.Lstat(filepath.Join(dir, p)); err != nil {
			t.Errorf("enable of an Also= cycle: %v", err)
		}
	}
	ctl(t, 0, "-C", c, "disable", "incyb.service")
	for _, p := range []string{"default.target.wants/incya.service", "default.target.wants/incyb.service"} {
		if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
			t.Errorf("disable of an Also= cycle left %s", p)
		}
	}
	for u, want := range map[string]string{
		"incal.service":  "Invalid unit reference ../../../bait.txt",
		"incal2.service": "Cannot alias incal2.service as other.socket",
		"incwb.service":  "Invalid unit name ../../x.target",
		"incrb.service":  "Invalid unit name ../y.target",
	} {
		r := ctl(t, 1, "-C", c, "enable", u)
		if !strings.Contains(r.stderr, "Failed to enable unit: ") || !strings.Contains(r.stderr, want) {
			t.Errorf("enable %s: %s\nwant %q", u, r, want)
		}
	}
	if b, err := os.ReadFile(home + "/bait.txt"); err != nil || string(b) != "bait\n" {
		t.Errorf("a file outside the configuration directory was changed: %q, %v", b, err)
	}
	for _, p := range []string{home + "/.config/x.target.wants", home + "/.config/systemd/y.target.requires", filepath.Join(dir, "default.target.wants/incwb.service")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("a refused enable made %s", p)
		}
	}
}

// TestInstallAlsoStaticSkipped: a static unit (no [Install]) named by
// Also= is skipped without a word, as systemctl 257 does (observed: enable
// prints only the unit's own link and exits 0; enable --now starts it).
// Before, enable failed with "it is static and cannot be enabled" after
// making the unit's links, and enable --now did not start it.
func TestInstallAlsoStaticSkipped(t *testing.T) {
	c := startCapsule(t, "ias")
	cfg := "/var/lib/capsules/" + c + "/.config/systemd/user/"
	writeCapsuleFiles(t, c, map[string]string{
		"iasmain.service":   "[Service]\nExecStart=/bin/sleep 100\n[Install]\nWantedBy=default.target\nAlso=iasstatic.service\n",
		"iasstatic.service": "[Service]\nExecStart=/bin/sleep 100\n",
	})
	r := ctl(t, 0, "-C", c, "enable", "iasmain.service")
	want := "Created symlink '" + cfg + "default.target.wants/iasmain.service' → '" + cfg + "iasmain.service'.\n"
	if r.stdout+r.stderr != want {
		t.Errorf("enable: %s\nwant %q", r, want)
	}
	if r := ctlRun(nil, "-C", c, "is-enabled", "iasmain.service", "iasstatic.service"); r.stdout != "enabled\nstatic\n" {
		t.Errorf("is-enabled: %s", r)
	}
	ctl(t, 0, "-C", c, "disable", "iasmain.service")
	ctl(t, 0, "-C", c, "enable", "--now", "iasmain.service")
	if r := ctlRun(nil, "-C", c, "is-active", "iasmain.service", "iasstatic.service"); r.stdout != "active\ninactive\n" {
		t.Errorf("is-active after enable --now: %s", r)
	}
}

// TestInstallAlsoMissingLinksNothing: an Also= naming a unit that does not
// exist fails enable before any link is made, as systemctl 257 does
// (observed: exit 1, the unit stays disabled). Before, the unit's own
// links were made and it was left enabled by a failed enable.
func TestInstallAlsoMissingLinksNothing(t *testing.T) {
	c := startCapsule(t, "iam")
	writeCapsuleFiles(t, c, map[string]string{
		"iammain.service": "[Service]\nExecStart=/bin/sleep 100\n[Install]\nWantedBy=default.target\nAlso=iamnone.service\n",
	})
	// systemctl 257: "Failed to enable unit: Unit X does not exist", exit 1,
	// for a missing unit and for a missing unit its Also= names.
	if r := ctlRun(nil, "-C", c, "enable", "iammain.service"); r.code != 1 || r.stderr != "Failed to enable unit: Unit iamnone.service does not exist\n" || r.stdout != "" {
		t.Errorf("enable: %s", r)
	}
	for _, verb := range []string{"enable", "disable"} {
		if r := ctlRun(nil, "-C", c, verb, "iamnosuch.service"); r.code != 1 || r.stderr != "Failed to "+verb+" unit: Unit iamnosuch.service does not exist\n" {
			t.Errorf("%s of a missing unit: %s", verb, r)
		}
	}
	if _, err := os.Lstat(filepath.Join(capsuleUnitDir(c), "default.target.wants/iammain.service")); err == nil {
		t.Error("a failed enable made the unit's link")
	}
	if r := ctlRun(nil, "-C", c, "is-enabled", "iammain.service"); r.stdout != "disabled\n" {
		t.Errorf("is-enabled: %s", r)
	}
}

// TestInstallAliasOnlyEnabled: a unit whose [Install] has only Alias= is
// enabled once its alias link exists, and so is one whose WantedBy= link
// was removed while its alias link stays (observed in systemctl 257:
// is-enabled "enabled" for both, the alias name "alias", status
// "; enabled"). Before, both read "disabled".
func TestInstallAliasOnlyEnabled(t *testing.T) {
	c := startCapsule(t, "iao")
	cfg := "/var/lib/capsules/" + c + "/.config/systemd/user/"
	writeCapsuleFiles(t, c, map[string]string{
		"iaoa.service": "[Service]\nExecStart=/bin/sleep 100\n[Install]\nAlias=iaoa2.service\n",
		"iaob.service": "[Service]\nExecStart=/bin/sleep 100\n[Install]\nAlias=iaob2.service\nWantedBy=default.target\n",
	})
	ctl(t, 0, "-C", c, "enable", "iaoa.service", "iaob.service")
	if err := os.Remove(cfg + "default.target.wants/iaob.service"); err != nil {
		t.Fatal(err)
	}
	ctl(t, 0, "-C", c, "daemon-reload")
	if r := ctlRun(nil, "-C", c, "is-enabled", "iaoa.service", "iaoa2.service", "iaob.service"); r.stdout != "enabled\nalias\nenabled\n" {
		t.Errorf("is-enabled: %s", r)
	}
	if r := ctlRun(nil, "-C", c, "status", "iaoa.service"); !strings.Contains(r.stdout, "iaoa.service; enabled") {
		t.Errorf("status: %s", r)
	}
}

// TestWantsAliasIsTheUnit: a dependency naming an alias is one on the unit
// itself, as systemd merges a unit's names: starting a unit that Wants= the
// alias starts the unit once, and list-units shows no second unit. Before,
// the alias loaded as a unit of its own, a second copy of the service.
func TestWantsAliasIsTheUnit(t *testing.T) {
	c := startCapsule(t, "iwa")
	writeCapsuleFiles(t, c, map[string]string{
		"iwamain.service": "[Service]\nExecStart=/bin/sleep 100\n[Install]\nAlias=iwaal.service\n",
		"iwause.service":  "[Unit]\nWants=iwaal.service\nAfter=iwaal.service\n[Service]\nExecStart=/bin/sleep 100\n",
	})
	ctl(t, 0, "-C", c, "enable", "iwamain.service")
	ctl(t, 0, "-C", c, "start", "iwause.service")
	if r := ctlRun(nil, "-C", c, "is-active", "iwamain.service"); r.stdout != "active\n" {
		t.Errorf("is-active iwamain.service: %s", r)
	}
	r := ctl(t, 0, "-C", c, "list-units", "--all", "--plain", "--no-legend", "iwa*")
	if strings.Contains(r.stdout, "iwaal.service") || strings.Count(r.stdout, "sleep") > 0 {
		t.Errorf("list-units shows the alias as a unit of its own:\n%s", r.stdout)
	}
	if r := ctl(t, 0, "-C", c, "show", "-p", "Wants,ActiveState", "iwause.service"); r.stdout != "Wants=iwamain.service\nActiveState=active\n" {
		t.Errorf("show -p Wants: %s", r)
	}
}
