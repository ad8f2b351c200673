package manager

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/capsuled/capsuled/internal/unit"
)

// TestAcceptInstanceName checks the names, descriptions and environment
// of Accept=yes instances against systemd 257's (observed: rk-a@0-
// 127.0.0.1:8100-127.0.0.1:53180.service, rk-b@0-::1:8101-::1:48328.service
// described as [::1]:48328, rk-b@2-926-0.service as PID 926/UID 0), and
// that whatever the peer, the name is a valid unit name.
func TestAcceptInstanceName(t *testing.T) {
	ip := netip.MustParseAddr
	long := strings.Repeat("a", 220)
	for _, tt := range []struct {
		socket      string
		nr          uint
		p           peer
		name, desc  string
		source      string
		env         []string
		validToLoad bool
	}{
		{"rk-a.socket", 0, inetPeer(ip("127.0.0.1"), 8100, ip("127.0.0.1"), 53180),
			"rk-a@0-127.0.0.1:8100-127.0.0.1:53180.service", "127.0.0.1:53180", "127.0.0.1",
			[]string{"REMOTE_ADDR=127.0.0.1", "REMOTE_PORT=53180"}, true},
		{"rk-b.socket", 0, inetPeer(ip("::1"), 8101, ip("::1"), 48328),
			"rk-b@0-::1:8101-::1:48328.service", "[::1]:48328", "::1",
			[]string{"REMOTE_ADDR=::1", "REMOTE_PORT=48328"}, true},
		{"rk-b.socket", 2, unixPeer(926, 0), "rk-b@2-926-0.service", "PID 926/UID 0", "UID 0", nil, true},
		// A peer in another PID namespace, or with an unmapped UID.
		{"x.socket", 7, unixPeer(0, 4294967295), "x@7-0-4294967295.service", "PID 0/UID 4294967295", "UID 4294967295", nil, true},
		// IPv4 through a dual-stack socket: both ends IPv4-mapped.
		{"d.socket", 3, inetPeer(ip("::ffff:127.0.0.1"), 80, ip("::ffff:10.1.2.3"), 5),
			"d@3-127.0.0.1:80-10.1.2.3:5.service", "10.1.2.3:5", "10.1.2.3",
			[]string{"REMOTE_ADDR=10.1.2.3", "REMOTE_PORT=5"}, true},
		// Only one end mapped: written as inet_ntop(3) writes them.
		{"d.socket", 4, inetPeer(ip("::1"), 80, ip("::ffff:10.1.2.3"), 5),
			"d@4-::1:80-::ffff:10.1.2.3:5.service", "10.1.2.3:5", "10.1.2.3",
			[]string{"REMOTE_ADDR=10.1.2.3", "REMOTE_PORT=5"}, true},
		{"d.socket", 5, inetPeer(ip("fe80::1:0:0:1"), 80, ip("::102:304"), 65535),
			"d@5-fe80::1:0:0:1:80-::1.2.3.4:65535.service", "[::1.2.3.4]:65535", "::1.2.3.4",
			[]string{"REMOTE_ADDR=::1.2.3.4", "REMOTE_PORT=65535"}, true},
		// An instance socket's instances take its prefix.
		{"web@a.socket", 1, unixPeer(12, 1000), "web@1-12-1000.service", "PID 12/UID 1000", "UID 1000", nil, true},
		// Too long a name for a unit: the connection is not served.
		{long + ".socket", 0, inetPeer(ip("2001:db8:1:2:3:4:5:6"), 1, ip("2001:db8:1:2:3:4:5:7"), 2),
			long + "@0-2001:db8:1:2:3:4:5:6:1-2001:db8:1:2:3:4:5:7:2.service", "[2001:db8:1:2:3:4:5:7]:2", "2001:db8:1:2:3:4:5:7",
			[]string{"REMOTE_ADDR=2001:db8:1:2:3:4:5:7", "REMOTE_PORT=2"}, false},
	} {
		name := instanceName(tt.socket, tt.nr, tt.p.instance)
		if name != tt.name || tt.p.description != tt.desc || tt.p.source != tt.source || !slices.Equal(tt.p.env, tt.env) {
			t.Errorf("%s #%d: got %q %q %q %q, want %q %q %q %q", tt.socket, tt.nr, name, tt.p.description, tt.p.source, tt.p.env,
				tt.name, tt.desc, tt.source, tt.env)
		}
		if _, err := unit.ParseName(name); (err == nil) != tt.validToLoad {
			t.Errorf("%s: ParseName: %v", name, err)
		}
	}
}
