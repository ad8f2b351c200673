package e2e

import "testing"

// TestDropInFixesRefusedSetting: a drop-in that sets a key again replaces
// the unit file's value, refused or not, as systemd 257 decides on the
// final value (observed: Type=dbus with a drop-in Type=simple loads as
// simple; PrivateTmp=bogus with a drop-in PrivateTmp=yes loads with
// PrivateTmp=yes). Before, the file's line refused the unit (bad-setting)
// whatever the drop-in said.
func TestDropInFixesRefusedSetting(t *testing.T) {
	c := startCapsule(t, "dfx")
	writeCapsuleFiles(t, c, map[string]string{
		// Refused as systemd 257 refuses it: Type=dbus needs BusName=.
		"dfxbus.service": "[Service]\nType=dbus\nExecStart=/bin/sleep 100\n",
		"dfxtmp.service": "[Service]\nPrivateTmp=bogus\nExecStart=/bin/sleep 100\n",
	})
	if r := ctl(t, 0, "-C", c, "show", "-p", "LoadState", "dfxbus.service"); r.stdout != "LoadState=bad-setting\n" {
		t.Errorf("Type=dbus without a drop-in: %s", r)
	}
	ctlWithStdin(t, "[Service]\nType=simple\n", "-C", c, "edit", "--stdin", "dfxbus.service")
	ctlWithStdin(t, "[Service]\nPrivateTmp=yes\n", "-C", c, "edit", "--stdin", "dfxtmp.service")
	for u, want := range map[string]string{
		"dfxbus.service": "Type=simple\nPrivateTmp=no\nLoadState=loaded\n",
		"dfxtmp.service": "Type=simple\nPrivateTmp=yes\nLoadState=loaded\n",
	} {
		if r := ctl(t, 0, "-C", c, "show", "-p", "LoadState,Type,PrivateTmp", u); r.stdout != want {
			t.Errorf("show %s: %s\nwant %q", u, r, want)
		}
	}
	ctl(t, 0, "-C", c, "start", "dfxbus.service", "dfxtmp.service")
	if r := ctlRun(nil, "-C", c, "is-active", "dfxbus.service", "dfxtmp.service"); r.stdout != "active\nactive\n" {
		t.Errorf("is-active: %s", r)
	}
}
