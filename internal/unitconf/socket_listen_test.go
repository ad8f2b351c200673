package unitconf

import (
	"strings"
	"testing"
)

// Every address form and the warnings systemd 257 gives for the ones it
// cannot parse (observed with systemctl show -p Listen and the journal).
func TestSocketListen(t *testing.T) {
	tests := []struct {
		lines  string
		listen string // show -p Listen, lines joined by "|"
		warn   string // the one warning, "" for none
	}{
		{"ListenStream=8080", "[::]:8080 (Stream)", ""},
		{"ListenStream=127.0.0.1:8081", "127.0.0.1:8081 (Stream)", ""},
		{"ListenStream=[::1]:8082", "[::1]:8082 (Stream)", ""},
		{"ListenStream=[::]:8080", "[::]:8080 (Stream)", ""},
		{"ListenStream=@rk-abstract", "@rk-abstract (Stream)", ""},
		{"ListenStream=/run/rk/sub/stream.sock", "/run/rk/sub/stream.sock (Stream)", ""},
		{"ListenDatagram=/run/rk/dgram.sock", "/run/rk/dgram.sock (Datagram)", ""},
		{"ListenDatagram=127.0.0.1:8083", "127.0.0.1:8083 (Datagram)", ""},
		{"ListenDatagram=8093", "[::]:8093 (Datagram)", ""},
		{"ListenSequentialPacket=/run/rk/seq.sock", "/run/rk/seq.sock (SequentialPacket)", ""},
		{"ListenFIFO=/run/rk/fifo", "/run/rk/fifo (FIFO)", ""},
		{"ListenSpecial=/dev/pts/ptmx", "/dev/pts/ptmx (Special)", ""},
		{"ListenNetlink=route 1", "route 1 (Netlink)", ""},
		{"ListenNetlink=kobject-uevent 1", "kobject-uevent 1 (Netlink)", ""},
		{"ListenMessageQueue=/rkmq", "/rkmq (MessageQueue)", ""},
		{"ListenMessageQueue=/a/b", "/a/b (MessageQueue)", ""},
		{"ListenStream=/s\nListenDatagram=/d\nListenFIFO=/f", "/s (Stream)|/d (Datagram)|/f (FIFO)", ""},
		{"ListenStream=/s\nListenFIFO=\nListenFIFO=/f", "/f (FIFO)", ""},
		{"ListenStream=/var/run/sl-x.sock", "/run/sl-x.sock (Stream)", "ListenStream= references a path below legacy directory /var/run/, updating /var/run/sl-x.sock → /run/sl-x.sock; please update the unit file accordingly."},
		{"ListenStream=1.2.3.4", "", "Failed to parse address value in '1.2.3.4', ignoring: Invalid argument"},
		{"ListenStream=foo", "", "Failed to parse address value in 'foo', ignoring: Invalid argument"},
		{"ListenStream=0", "", "Failed to parse address value in '0', ignoring: Invalid argument"},
		{"ListenStream=65536", "", "Failed to parse address value in '65536', ignoring: Numerical result out of range"},
		{"ListenStream=127.0.0.1:0", "", "Failed to parse address value in '127.0.0.1:0', ignoring: Invalid argument"},
		{"ListenStream=[::1]", "", "Failed to parse address value in '[::1]', ignoring: Invalid argument"},
		{"ListenStream=relative/x", "", "Failed to parse address value in 'relative/x', ignoring: Invalid argument"},
		{"ListenDatagram=@", "", "Failed to parse address value in '@', ignoring: Invalid argument"},
		{"ListenFIFO=relative", "", "ListenFIFO= path is not absolute, ignoring: relative"},
		{"ListenSpecial=/dev/../dev/null", "", "ListenSpecial= path is not normalized, ignoring: /dev/../dev/null"},
		{"ListenNetlink=nosuch 1", "", "Failed to parse address value in 'nosuch 1', ignoring: Invalid argument"},
		{"ListenNetlink=route x", "", "Failed to parse address value in 'route x', ignoring: Invalid argument"},
		{"ListenMessageQueue=noslash", "", "ListenMessageQueue= path is not absolute, ignoring: noslash"},
		{"ListenStream=vsock:2:1234", "", "Unsupported in capsuled: ListenStream=vsock:2:1234: AF_VSOCK sockets; ignoring."},
	}
	for _, tt := range tests {
		u, w, err := parse(t, "foo.socket", "[Socket]\nListenStream=/keep\n"+tt.lines+"\n")
		if err != nil {
			t.Errorf("%q: %v", tt.lines, err)
			continue
		}
		want := "/keep (Stream)"
		if tt.listen != "" {
			want += "\n" + strings.ReplaceAll(tt.listen, "|", "\n")
		}
		if strings.Contains(tt.lines, "ListenFIFO=\n") {
			want = strings.ReplaceAll(tt.listen, "|", "\n")
		}
		if got := property(t, u, "Listen"); got != want {
			t.Errorf("%q: Listen=%q, want %q", tt.lines, got, want)
		}
		var ws []string
		for _, x := range w {
			ws = append(ws, x.Msg)
		}
		if got := strings.Join(ws, "|"); got != tt.warn {
			t.Errorf("%q: warnings %q, want %q", tt.lines, got, tt.warn)
		}
	}
}

// The socket options: the value show prints, and the warning for a bad
// one (as observed from systemd 257).
func TestSocketOptions(t *testing.T) {
	tests := []struct{ line, prop, want, warn string }{
		{"", "BindIPv6Only", "default", ""},
		{"BindIPv6Only=both", "BindIPv6Only", "both", ""},
		{"BindIPv6Only=ipv6-only", "BindIPv6Only", "ipv6-only", ""},
		{"BindIPv6Only=maybe", "BindIPv6Only", "default", "Failed to parse BindIPv6Only=maybe, ignoring: Invalid argument"},
		{"", "Backlog", "2147483647", ""},
		{"Backlog=12", "Backlog", "12", ""},
		{"Backlog=x", "Backlog", "2147483647", "Failed to parse Backlog=x, ignoring: Invalid argument"},
		{"BindToDevice=lo", "BindToDevice", "lo", ""},
		{"KeepAlive=yes", "KeepAlive", "yes", ""},
		{"KeepAliveTimeSec=30", "KeepAliveTimeUSec", "30s", ""},
		{"KeepAliveTimeSec=x", "KeepAliveTimeUSec", "0", "Failed to parse KeepAliveTimeSec=x, ignoring: Invalid argument"},
		{"KeepAliveIntervalSec=2min", "KeepAliveIntervalUSec", "2min", ""},
		{"KeepAliveProbes=4", "KeepAliveProbes", "4", ""},
		{"DeferAcceptSec=5", "DeferAcceptUSec", "5s", ""},
		{"NoDelay=yes", "NoDelay", "yes", ""},
		{"", "Priority", "-1", ""},
		{"Priority=6", "Priority", "6", ""},
		{"Priority=x", "Priority", "-1", "Failed to parse Priority=x, ignoring: Invalid argument"},
		{"ReceiveBuffer=1M", "ReceiveBuffer", "1048576", ""},
		{"SendBuffer=65536", "SendBuffer", "65536", ""},
		{"IPTOS=low-delay", "IPTOS", "16", ""},
		{"IPTOS=x", "IPTOS", "-1", "Failed to parse IPTOS=x, ignoring: Invalid argument"},
		{"IPTTL=9", "IPTTL", "9", ""},
		{"Mark=x", "Mark", "-1", "Failed to parse Mark=x, ignoring: Invalid argument"},
		{"Mark=7", "Mark", "7", ""},
		{"PipeSize=x", "PipeSize", "0", "Failed to parse PipeSize=x, ignoring: Invalid argument"},
		{"PipeSize=64K", "PipeSize", "65536", ""},
		{"FreeBind=yes", "FreeBind", "yes", ""},
		{"Transparent=yes", "Transparent", "yes", ""},
		{"Broadcast=yes", "Broadcast", "yes", ""},
		{"ReusePort=yes", "ReusePort", "yes", ""},
		{"PassCredentials=yes", "PassCredentials", "yes", ""},
		{"PassSecurity=yes", "PassSecurity", "yes", ""},
		{"PassPacketInfo=yes", "PassPacketInfo", "yes", ""},
		{"", "Timestamping", "off", ""},
		{"Timestamping=nsec", "Timestamping", "ns", ""},
		{"Timestamping=x", "Timestamping", "off", "Failed to parse Timestamping=x, ignoring: Invalid argument"},
		{"TCPCongestion=reno", "TCPCongestion", "reno", ""},
		{"", "SocketProtocol", "0", ""},
		{"SocketProtocol=udplite", "SocketProtocol", "136", ""},
		{"SocketProtocol=tcp", "SocketProtocol", "0", "Failed to parse SocketProtocol=tcp, ignoring: Protocol not supported"},
		{"Writable=yes", "Writable", "yes", ""},
		{"MessageQueueMaxMessages=3", "MessageQueueMaxMessages", "3", ""},
		{"MessageQueueMessageSize=64", "MessageQueueMessageSize", "64", ""},
		{"Symlinks=/run/a /run/b", "Symlinks", "/run/a /run/b", ""},
		{"Symlinks=relative", "Symlinks", "", "Symlinks= path is not absolute, ignoring: relative"},
		{"SocketUser=nobody", "SocketUser", "nobody", "Special user nobody configured, this is not safe!"},
		{"SocketGroup=nogroup", "SocketGroup", "nogroup", ""},
	}
	for _, tt := range tests {
		u, w, err := parse(t, "foo.socket", "[Socket]\nListenStream=/s\n"+tt.line+"\n")
		if err != nil {
			t.Errorf("%q: %v", tt.line, err)
			continue
		}
		if got := property(t, u, tt.prop); got != tt.want {
			t.Errorf("%q: %s=%q, want %q", tt.line, tt.prop, got, tt.want)
		}
		var ws []string
		for _, x := range w {
			ws = append(ws, x.Msg)
		}
		if got := strings.Join(ws, "|"); got != tt.warn {
			t.Errorf("%q: warnings %q, want %q", tt.line, got, tt.warn)
		}
	}
}

func init() {
	for k, v := range map[string]sample{
		"Socket.ListenDatagram":          {lines: "ListenDatagram=127.0.0.1:8083", prop: "Listen", want: "127.0.0.1:8083 (Datagram)"},
		"Socket.ListenSequentialPacket":  {lines: "ListenSequentialPacket=@x", prop: "Listen", want: "@x (SequentialPacket)"},
		"Socket.ListenFIFO":              {lines: "ListenFIFO=%t/f", prop: "Listen", want: "/f (FIFO)"},
		"Socket.ListenSpecial":           {lines: "ListenSpecial=/dev/pts/ptmx", prop: "Listen", want: "/dev/pts/ptmx (Special)"},
		"Socket.ListenNetlink":           {lines: "ListenNetlink=route 1", prop: "Listen", want: "route 1 (Netlink)"},
		"Socket.ListenMessageQueue":      {lines: "ListenMessageQueue=/q", prop: "Listen", want: "/q (MessageQueue)"},
		"Socket.BindIPv6Only":            {lines: "ListenStream=8080\nBindIPv6Only=both", prop: "BindIPv6Only", want: "both"},
		"Socket.Backlog":                 {lines: "ListenStream=/s\nBacklog=5", prop: "Backlog", want: "5"},
		"Socket.BindToDevice":            {lines: "ListenStream=80\nBindToDevice=lo", prop: "BindToDevice", want: "lo"},
		"Socket.SocketProtocol":          {lines: "ListenStream=80\nSocketProtocol=sctp", prop: "SocketProtocol", want: "132"},
		"Socket.FreeBind":                {lines: "ListenStream=80\nFreeBind=yes", prop: "FreeBind", want: "yes"},
		"Socket.Transparent":             {lines: "ListenStream=80\nTransparent=yes", prop: "Transparent", want: "yes"},
		"Socket.Broadcast":               {lines: "ListenDatagram=80\nBroadcast=yes", prop: "Broadcast", want: "yes"},
		"Socket.ReusePort":               {lines: "ListenStream=80\nReusePort=yes", prop: "ReusePort", want: "yes"},
		"Socket.PassCredentials":         {lines: "ListenStream=/s\nPassCredentials=yes", prop: "PassCredentials", want: "yes"},
		"Socket.PassSecurity":            {lines: "ListenStream=/s\nPassSecurity=yes", prop: "PassSecurity", want: "yes"},
		"Socket.PassPacketInfo":          {lines: "ListenDatagram=80\nPassPacketInfo=yes", prop: "PassPacketInfo", want: "yes"},
		"Socket.KeepAlive":               {lines: "ListenStream=80\nKeepAlive=yes", prop: "KeepAlive", want: "yes"},
		"Socket.NoDelay":                 {lines: "ListenStream=80\nNoDelay=yes", prop: "NoDelay", want: "yes"},
		"Socket.Writable":                {lines: "ListenSpecial=/dev/x\nWritable=yes", prop: "Writable", want: "yes"},
		"Socket.KeepAliveTimeSec":        {lines: "ListenStream=80\nKeepAliveTimeSec=1h", prop: "KeepAliveTimeUSec", want: "1h"},
		"Socket.KeepAliveIntervalSec":    {lines: "ListenStream=80\nKeepAliveIntervalSec=20", prop: "KeepAliveIntervalUSec", want: "20s"},
		"Socket.KeepAliveProbes":         {lines: "ListenStream=80\nKeepAliveProbes=3", prop: "KeepAliveProbes", want: "3"},
		"Socket.DeferAcceptSec":          {lines: "ListenStream=80\nDeferAcceptSec=3", prop: "DeferAcceptUSec", want: "3s"},
		"Socket.Priority":                {lines: "ListenStream=80\nPriority=3", prop: "Priority", want: "3"},
		"Socket.ReceiveBuffer":           {lines: "ListenStream=80\nReceiveBuffer=8K", prop: "ReceiveBuffer", want: "8192"},
		"Socket.SendBuffer":              {lines: "ListenStream=80\nSendBuffer=8K", prop: "SendBuffer", want: "8192"},
		"Socket.IPTOS":                   {lines: "ListenStream=80\nIPTOS=throughput", prop: "IPTOS", want: "8"},
		"Socket.IPTTL":                   {lines: "ListenStream=80\nIPTTL=3", prop: "IPTTL", want: "3"},
		"Socket.Mark":                    {lines: "ListenStream=80\nMark=3", prop: "Mark", want: "3"},
		"Socket.Timestamping":            {lines: "ListenDatagram=80\nTimestamping=us", prop: "Timestamping", want: "us"},
		"Socket.TCPCongestion":           {lines: "ListenStream=80\nTCPCongestion=cubic", prop: "TCPCongestion", want: "cubic"},
		"Socket.PipeSize":                {lines: "ListenFIFO=/f\nPipeSize=1M", prop: "PipeSize", want: "1048576"},
		"Socket.MessageQueueMaxMessages": {lines: "ListenMessageQueue=/q\nMessageQueueMaxMessages=4", prop: "MessageQueueMaxMessages", want: "4"},
		"Socket.MessageQueueMessageSize": {lines: "ListenMessageQueue=/q\nMessageQueueMessageSize=16", prop: "MessageQueueMessageSize", want: "16"},
		"Socket.Symlinks":                {lines: "ListenStream=/s\nSymlinks=/run/l1 /run/l2", prop: "Symlinks", want: "/run/l1 /run/l2"},
	} {
		samples[k] = v
	}
}
