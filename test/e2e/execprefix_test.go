package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// privProbe prints, after tag, what a command runs as and in: its IDs, $USER,
// capabilities, no_new_privs, seccomp filters, mount namespace, cgroup,
// whether /usr is writable and the host's /tmp (marker) visible.
func privProbe(tag, marker string) string {
	return `/bin/sh -c 'echo ` + tag + `: ids=$(id -u):$(id -g):$(id -G | tr " " ,) user=$USER ` +
		`$(grep -E "^(CapEff|NoNewPrivs|Seccomp_filters):" /proc/self/status | sed "s/:[[:space:]]*/=/" | tr "\n" " ")` +
		`mnt=$(readlink /proc/self/ns/mnt) cg=$(tail -1 /proc/self/cgroup) ` +
		`usr=$([ -w /usr ] && echo rw || echo ro) tmp=$([ -e ` + marker + ` ] && echo host || echo private)'`
}

// privProbeLines returns the probe lines of a unit's log by tag, as fields.
func privProbeLines(t *testing.T, logs string, tags ...string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, tag := range tags {
		m := regexp.MustCompile(`(?m)` + tag + `: (.*)$`).FindStringSubmatch(logs)
		if m == nil {
			t.Fatalf("no %q line in:\n%s", tag, logs)
		}
		f := map[string]string{}
		for _, kv := range strings.Fields(m[1]) {
			k, v, _ := strings.Cut(kv, "=")
			f[k] = v
		}
		out[tag] = f
	}
	return out
}

// TestExecPrefixesSystem: in the system manager '+' runs a command as root
// without the unit's sandbox (host mount namespace and /tmp, writable
// /usr, all capabilities, no no_new_privs), '!' as root inside it, '!!'
// as an unprefixed one; PermissionsStartOnly=yes is '+' for all but
// ExecStart=. The values are systemd 257's for the same unit.
func TestExecPrefixesSystem(t *testing.T) {
	marker, err := os.CreateTemp("", "xpmarker")
	if err != nil {
		t.Fatal(err)
	}
	marker.Close()
	t.Cleanup(func() { os.Remove(marker.Name()) })
	unit := fmt.Sprintf("xppfx%d.service", os.Getpid())
	systemUnit(t, unit, "[Service]\nType=oneshot\nUser=nobody\nGroup=nogroup\nPrivateTmp=yes\nProtectSystem=strict\n"+
		"SystemCallFilter=~@swap\nRestrictNamespaces=yes\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\nNoNewPrivileges=yes\n"+
		"ExecStart=+"+privProbe("xpplus", marker.Name())+"\n"+
		"ExecStart=!"+privProbe("xpbang", marker.Name())+"\n"+
		"ExecStart="+privProbe("xpnone", marker.Name())+"\n"+
		"ExecStart=!!"+privProbe("xpbangbang", marker.Name())+"\n")
	t.Cleanup(func() { ctlRun(nil, "reset-failed", unit) })
	ctl(t, 0, "start", unit)
	hostMnt, _ := os.Readlink("/proc/self/ns/mnt")
	got := privProbeLines(t, ctl(t, 0, "logs", "-u", unit).stdout, "xpplus", "xpbang", "xpnone", "xpbangbang")
	for tag, want := range map[string]map[string]string{
		"xpplus":     {"ids": "0:0:0,65534", "user": "nobody", "NoNewPrivs": "0", "usr": "rw", "tmp": "host"},
		"xpbang":     {"ids": "0:0:0,65534", "user": "nobody", "NoNewPrivs": "1", "CapEff": "0000000000000400", "usr": "ro", "tmp": "private"},
		"xpnone":     {"ids": "65534:65534:65534", "user": "nobody", "NoNewPrivs": "1", "CapEff": "0000000000000000", "usr": "ro", "tmp": "private"},
		"xpbangbang": {"ids": "65534:65534:65534", "user": "nobody", "NoNewPrivs": "1", "CapEff": "0000000000000000", "usr": "ro", "tmp": "private"},
	} {
		for k, v := range want {
			if got[tag][k] != v {
				t.Errorf("%s: %s=%q, want %q (%v)", tag, k, got[tag][k], v, got[tag])
			}
		}
		if inHost := got[tag]["mnt"] == hostMnt; inHost != (tag == "xpplus") {
			t.Errorf("%s: mount namespace %s, host's %s", tag, got[tag]["mnt"], hostMnt)
		}
	}
	if got["xpplus"]["CapEff"] == "0000000000000000" || got["xpplus"]["CapEff"] == "0000000000000400" {
		t.Errorf("'+' ran with capabilities %s, want root's", got["xpplus"]["CapEff"])
	}

	pso := fmt.Sprintf("xppso%d.service", os.Getpid())
	systemUnit(t, pso, "[Service]\nType=oneshot\nUser=nobody\nPermissionsStartOnly=yes\nPrivateTmp=yes\n"+
		"ExecStartPre="+privProbe("xppre", marker.Name())+"\nExecStart="+privProbe("xpmain", marker.Name())+"\n"+
		"ExecStopPost="+privProbe("xpstoppost", marker.Name())+"\n")
	ctl(t, 0, "start", pso)
	got = privProbeLines(t, ctl(t, 0, "logs", "-u", pso).stdout, "xppre", "xpmain", "xpstoppost")
	for tag, want := range map[string]string{"xppre": "0", "xpmain": "65534", "xpstoppost": "0"} {
		if uid, _, _ := strings.Cut(got[tag]["ids"], ":"); uid != want {
			t.Errorf("PermissionsStartOnly=yes: %s ran as %s, want %s", tag, uid, want)
		}
	}
	if got["xppre"]["tmp"] != "host" || got["xpmain"]["tmp"] != "private" {
		t.Errorf("PermissionsStartOnly=yes: /tmp of ExecStartPre= %s, of ExecStart= %s", got["xppre"]["tmp"], got["xpmain"]["tmp"])
	}
}

// TestEscapePrivilegePrefixInCapsule: a capsule's unit asking for full
// privileges with '+' (or for no credentials with '!') gains nothing: the
// command keeps the capsule's UID, mount namespace, cgroup, seccomp
// filters and no_new_privs, sees no other capsule and cannot write /usr.
// As under systemd 257's user manager, '+' only leaves out the filters the
// unit itself asked for.
func TestEscapePrivilegePrefixInCapsule(t *testing.T) {
	c := startCapsule(t, "xpx")
	uid, _ := capsuleUID(t, c)
	writeCapsuleFiles(t, c, map[string]string{
		"xpx.service": "[Service]\nType=oneshot\nSystemCallFilter=~@swap\nRestrictNamespaces=yes\nNoNewPrivileges=yes\n" +
			"ExecStart=+" + privProbe("xpplus", "/nonexistent") + "\n" +
			"ExecStart=+/bin/sh -c 'echo xpcapsules: $(ls /run/capsules | tr \"\\n\" ,)'\n" +
			"ExecStart=!" + privProbe("xpbang", "/nonexistent") + "\n" +
			"ExecStart=" + privProbe("xpnone", "/nonexistent") + "\n",
	})
	ctl(t, 0, "-C", c, "start", "xpx")
	logs := ctl(t, 0, "-C", c, "logs", "-u", "xpx").stdout
	got := privProbeLines(t, logs, "xpplus", "xpbang", "xpnone")
	mgr := managerPID(t, c)
	mgrMnt, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", mgr))
	if err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", mgr))
	if err != nil {
		t.Fatal(err)
	}
	mgrFilters := regexp.MustCompile(`Seccomp_filters:\s*(\d+)`).FindSubmatch(status)[1]
	ids := fmt.Sprintf("%d:%d:%d", uid, uid, uid)
	for _, tag := range []string{"xpplus", "xpbang", "xpnone"} {
		g := got[tag]
		if g["ids"] != ids || g["CapEff"] != "0000000000000000" || g["NoNewPrivs"] != "1" || g["usr"] != "ro" || g["mnt"] != mgrMnt ||
			!strings.Contains(g["cg"], "/capsule@"+c+".service/") {
			t.Errorf("%s left the capsule's confinement: %v (want ids %s, mount namespace %s)", tag, g, ids, mgrMnt)
		}
	}
	if got["xpplus"]["Seccomp_filters"] != string(mgrFilters) {
		t.Errorf("'+' in a capsule: %s seccomp filters, want the capsule manager's %s (the unit's own left out)", got["xpplus"]["Seccomp_filters"], mgrFilters)
	}
	if got["xpnone"]["Seccomp_filters"] == string(mgrFilters) || got["xpbang"]["Seccomp_filters"] != got["xpnone"]["Seccomp_filters"] {
		t.Errorf("the unit's own filters: '!' %s, none %s, manager %s", got["xpbang"]["Seccomp_filters"], got["xpnone"]["Seccomp_filters"], mgrFilters)
	}
	if !strings.Contains(logs, "xpcapsules: \n") && !strings.Contains(logs, "xpcapsules: "+c+",\n") {
		t.Errorf("'+' in a capsule sees other capsules: %s", logs)
	}
}
