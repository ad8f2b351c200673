// Package listen opens what a socket unit listens on (systemd.socket(5)):
// stream, datagram and sequential-packet sockets on file system paths,
// abstract names and IP addresses, FIFOs, special files, netlink sockets
// and POSIX message queues. A Spec and Options go in, a listening *os.File
// comes out; the engine builds no socket itself.
package listen

import (
	"fmt"
	"net/netip"
	"strconv"
)

// Kind is the Listen*= directive a Spec came from.
type Kind int

const (
	Stream Kind = iota
	Datagram
	SequentialPacket
	FIFO
	Special
	Netlink
	MessageQueue
)

// String is the kind as `show -p Listen` prints it.
func (k Kind) String() string {
	return [...]string{"Stream", "Datagram", "SequentialPacket", "FIFO", "Special", "Netlink", "MessageQueue"}[k]
}

// Directive is the unit-file key of the kind.
func (k Kind) Directive() string { return "Listen" + k.String() }

// IsSocket is true for the kinds that are sockets with an address.
func (k Kind) IsSocket() bool { return k <= SequentialPacket }

// Spec is one listener.
type Spec struct {
	Kind Kind
	// Path is a file system path (sockets, FIFO, special file), an
	// abstract name with its leading "@", or a message queue's name.
	Path string
	// Addr is the IP address and port of an IP socket (Path is empty).
	Addr netip.AddrPort
	// AnyPort is a bare port: the IPv6 any address, dual-stack unless
	// BindIPv6Only=ipv6-only.
	AnyPort bool
	// NetlinkFamily, NetlinkGroup and NetlinkName are a netlink socket's.
	NetlinkFamily int
	NetlinkGroup  uint32
	NetlinkName   string
}

// IsUnixPath is true for a socket bound to a file system path.
func (s Spec) IsUnixPath() bool { return s.Kind.IsSocket() && len(s.Path) > 0 && s.Path[0] == '/' }

// IsAbstract is true for a socket in the abstract namespace.
func (s Spec) IsAbstract() bool { return s.Kind.IsSocket() && len(s.Path) > 0 && s.Path[0] == '@' }

// IsIP is true for an IPv4 or IPv6 socket.
func (s Spec) IsIP() bool { return s.Kind.IsSocket() && s.Path == "" }

// HasNode is true for the kinds that make a node in the file system,
// which SocketMode=, SocketUser= and RemoveOnStop= are about.
func (s Spec) HasNode() bool { return s.IsUnixPath() || s.Kind == FIFO }

// Address is the listener's address as systemd prints it: "[::]:8080",
// "127.0.0.1:8081", "[::1]:8082", "@name", "/path", "route 1".
func (s Spec) Address() string {
	switch {
	case s.Kind == Netlink:
		return s.NetlinkName + " " + strconv.FormatUint(uint64(s.NetlinkGroup), 10)
	case s.IsIP():
		return s.Addr.String()
	}
	return s.Path
}

// String is the `show -p Listen` value: "ADDRESS (Kind)".
func (s Spec) String() string { return fmt.Sprintf("%s (%s)", s.Address(), s.Kind) }

// NetlinkFamilies are the netlink protocols by the names systemd takes in
// ListenNetlink= (linux/netlink.h's NETLINK_*).
var NetlinkFamilies = map[string]int{
	"route": 0, "usersock": 2, "firewall": 3, "sock-diag": 4, "inet-diag": 4, "nflog": 5, "xfrm": 6,
	"selinux": 7, "iscsi": 8, "audit": 9, "fib-lookup": 10, "connector": 11, "netfilter": 12,
	"ip6-fw": 13, "dnrtmsg": 14, "kobject-uevent": 15, "generic": 16, "scsitransport": 18,
	"ecryptfs": 19, "rdma": 20, "crypto": 21, "smc": 22,
}
