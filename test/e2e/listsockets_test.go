package e2e

import (
	"strings"
	"testing"
)

// TestListSockets: list-sockets shows each listener of the running socket
// units with what it activates, as systemctl 257 (observed: sorted by
// address, "-" for Accept=yes, inactive ones only with --all), and
// --no-legend leaves out header and footer of every list verb. Before,
// list-sockets was an unknown verb and --no-legend changed only
// list-jobs and list-unit-files.
func TestListSockets(t *testing.T) {
	c := startCapsule(t, "lsk")
	rt := "/run/capsules/" + c
	writeUnits(t, c, map[string]string{
		"lska.socket":   "[Unit]\nBefore=lskc.socket\n[Socket]\nListenStream=%t/lska.sock\nListenDatagram=%t/lska.dgram\n",
		"lska.service":  "[Service]\nExecStart=/bin/sleep 100\n",
		"lskb.socket":   "[Socket]\nListenStream=%t/lskb.sock\nAccept=yes\n",
		"lskb@.service": "[Service]\nExecStart=/bin/cat\n",
		"lskc.socket":   "[Socket]\nListenStream=%t/lskc.sock\n",
		"lskc.service":  "[Service]\nExecStart=/bin/sleep 100\n",
	})
	// lskc.socket is loaded (lska.socket is ordered before it), not started.
	ctl(t, 0, "-C", c, "start", "lska.socket", "lskb.socket")
	r := ctl(t, 0, "-C", c, "list-sockets", "lsk*")
	want := "LISTEN" + strings.Repeat(" ", len(rt+"/lska.dgram")-len("LISTEN")) + " UNIT        ACTIVATES\n" +
		rt + "/lska.dgram lska.socket lska.service\n" +
		rt + "/lska.sock  lska.socket lska.service\n" +
		rt + "/lskb.sock  lskb.socket -\n" +
		"\n3 sockets listed.\nPass --all to see loaded but inactive sockets, too.\n"
	if r.stdout != want {
		t.Errorf("list-sockets:\n%s\nwant:\n%s", r.stdout, want)
	}
	r = ctl(t, 0, "-C", c, "list-sockets", "--all", "--show-types", "--no-legend", "lsk*")
	want = rt + "/lska.dgram Datagram lska.socket lska.service\n" +
		rt + "/lska.sock  Stream   lska.socket lska.service\n" +
		rt + "/lskb.sock  Stream   lskb.socket -\n" +
		rt + "/lskc.sock  Stream   lskc.socket lskc.service\n"
	if r.stdout != want {
		t.Errorf("list-sockets --all --show-types --no-legend:\n%s\nwant:\n%s", r.stdout, want)
	}
	r = ctl(t, 0, "-C", c, "list-units", "--no-legend", "lska.socket")
	if r.stdout != "  lska.socket loaded active listening lska.socket\n" {
		t.Errorf("list-units --no-legend: %q", r.stdout)
	}
}
