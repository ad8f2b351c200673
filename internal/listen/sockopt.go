package listen

import (
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

func interfaceIndex(name string) (int, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return 0, err
	}
	return ifi.Index, nil
}

// applyOptions sets the options systemd sets once the socket is bound;
// one the kernel refuses is a warning (systemd logs it and goes on).
func applyOptions(fd, family int, s Spec, o *Options) []Warning {
	var w []Warning
	set := func(name string, lvl, opt, v int) {
		if err := unix.SetsockoptInt(fd, lvl, opt, v); err != nil {
			w = append(w, Warning(fmt.Sprintf("%s failed: %s", name, ErrnoText(err))))
		}
	}
	ip := family == unix.AF_INET || family == unix.AF_INET6
	tcp := ip && s.Kind == Stream
	secs := func(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }
	if o.KeepAlive {
		set("SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
	}
	if tcp && o.KeepAliveTime > 0 {
		set("TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, secs(o.KeepAliveTime))
	}
	if tcp && o.KeepAliveIntv > 0 {
		set("TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, secs(o.KeepAliveIntv))
	}
	if tcp && o.KeepAliveCnt > 0 {
		set("TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT, o.KeepAliveCnt)
	}
	if tcp && o.DeferAccept > 0 {
		set("TCP_DEFER_ACCEPT", unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, secs(o.DeferAccept))
	}
	if tcp && o.NoDelay {
		set("TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	if o.Broadcast {
		set("SO_BROADCAST", unix.SOL_SOCKET, unix.SO_BROADCAST, 1)
	}
	if o.PassCred {
		set("SO_PASSCRED", unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	}
	if o.PassSec {
		set("SO_PASSSEC", unix.SOL_SOCKET, unix.SO_PASSSEC, 1)
	}
	if o.PassPktInfo {
		switch family {
		case unix.AF_INET:
			set("IP_PKTINFO", unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
		case unix.AF_INET6:
			set("IPV6_RECVPKTINFO", unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1)
		case unix.AF_NETLINK:
			set("NETLINK_PKTINFO", unix.SOL_NETLINK, unix.NETLINK_PKTINFO, 1)
		}
	}
	switch o.Timestamping {
	case "us":
		set("SO_TIMESTAMP", unix.SOL_SOCKET, unix.SO_TIMESTAMP, 1)
	case "ns":
		set("SO_TIMESTAMPNS", unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}
	if o.Priority >= 0 {
		set("SO_PRIORITY", unix.SOL_SOCKET, unix.SO_PRIORITY, o.Priority)
	}
	if o.ReceiveBuffer > 0 {
		// The forced variant passes the rmem_max cap, as systemd's does
		// when it may.
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, o.ReceiveBuffer) != nil {
			set("SO_RCVBUF", unix.SOL_SOCKET, unix.SO_RCVBUF, o.ReceiveBuffer)
		}
	}
	if o.SendBuffer > 0 {
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, o.SendBuffer) != nil {
			set("SO_SNDBUF", unix.SOL_SOCKET, unix.SO_SNDBUF, o.SendBuffer)
		}
	}
	if o.Mark >= 0 {
		set("SO_MARK", unix.SOL_SOCKET, unix.SO_MARK, o.Mark)
	}
	if o.IPTOS >= 0 {
		switch family {
		case unix.AF_INET:
			set("IP_TOS", unix.IPPROTO_IP, unix.IP_TOS, o.IPTOS)
		case unix.AF_INET6:
			set("IPV6_TCLASS", unix.IPPROTO_IPV6, unix.IPV6_TCLASS, o.IPTOS)
		}
	}
	if o.IPTTL >= 0 {
		switch family {
		case unix.AF_INET:
			set("IP_TTL", unix.IPPROTO_IP, unix.IP_TTL, o.IPTTL)
		case unix.AF_INET6:
			set("IPV6_UNICAST_HOPS", unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, o.IPTTL)
		}
	}
	if tcp && o.TCPCongestion != "" {
		if err := unix.SetsockoptString(fd, unix.IPPROTO_TCP, unix.TCP_CONGESTION, o.TCPCongestion); err != nil {
			w = append(w, Warning("TCP_CONGESTION failed: "+ErrnoText(err)))
		}
	}
	return w
}
