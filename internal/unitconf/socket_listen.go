package unitconf

import (
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/capsuled/capsuled/internal/listen"
	"golang.org/x/sys/unix"
)

// Errors worded as systemd 257 words them when a Listen*= address cannot
// be parsed ("Failed to parse address value in '0', ignoring: Invalid
// argument").
var (
	errAddrInvalid error = unix.EINVAL
	errAddrRange   error = unix.ERANGE
)

// unixPathMax is sizeof(sockaddr_un.sun_path).
const unixPathMax = 108

// ParseSocketAddress parses a ListenStream=, ListenDatagram= or
// ListenSequentialPacket= value: a path, an @abstract name, a port, or an
// IPv4 or IPv6 address with a port.
func ParseSocketAddress(kind listen.Kind, v string) (listen.Spec, error) {
	s := listen.Spec{Kind: kind}
	switch {
	case strings.HasPrefix(v, "/"):
		if len(v) >= unixPathMax {
			return s, errAddrInvalid
		}
		s.Path = v
		return s, nil
	case strings.HasPrefix(v, "@"):
		if len(v) < 2 || len(v) > unixPathMax {
			return s, errAddrInvalid
		}
		s.Path = v
		return s, nil
	}
	if isDigits(v) {
		p, err := parsePort(v)
		if err != nil {
			return s, err
		}
		s.Addr, s.AnyPort = netip.AddrPortFrom(netip.IPv6Unspecified(), p), true
		return s, nil
	}
	i := strings.LastIndexByte(v, ':')
	if i < 0 {
		return s, errAddrInvalid
	}
	host, port := v[:i], v[i+1:]
	if !isDigits(port) {
		return s, errAddrInvalid
	}
	p, err := parsePort(port)
	if err != nil {
		return s, err
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() {
			return s, errAddrInvalid
		}
		s.Addr = netip.AddrPortFrom(a, p)
		return s, nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Is4() {
		return s, errAddrInvalid
	}
	s.Addr = netip.AddrPortFrom(a, p)
	return s, nil
}

func isDigits(v string) bool {
	if v == "" {
		return false
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func parsePort(v string) (uint16, error) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > 65535 {
		return 0, errAddrRange
	}
	if n == 0 {
		return 0, errAddrInvalid
	}
	return uint16(n), nil
}

// ParseNetlink parses ListenNetlink=: a family name or number and an
// optional multicast group.
func ParseNetlink(v string) (listen.Spec, error) {
	s := listen.Spec{Kind: listen.Netlink}
	f := strings.Fields(v)
	if len(f) == 0 || len(f) > 2 {
		return s, errAddrInvalid
	}
	fam, ok := listen.NetlinkFamilies[f[0]]
	name := f[0]
	if !ok {
		n, err := strconv.ParseUint(f[0], 10, 31)
		if err != nil {
			return s, errAddrInvalid
		}
		fam, name = int(n), f[0]
		for k, x := range listen.NetlinkFamilies {
			// inet-diag is sock-diag's old name.
			if x == fam && k != "inet-diag" {
				name = k
			}
		}
	}
	if len(f) == 2 {
		g, err := strconv.ParseUint(f[1], 10, 32)
		if err != nil {
			return s, errAddrInvalid
		}
		s.NetlinkGroup = uint32(g)
	}
	s.NetlinkFamily, s.NetlinkName = fam, name
	return s, nil
}

// parseListen returns the parser of one Listen*= directive. An empty
// value clears every listener of the unit, as in systemd.
func parseListen(kind listen.Kind) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		s := sock(c)
		if v == "" {
			s.Listen = nil
			return nil
		}
		var spec listen.Spec
		var err error
		switch kind {
		case listen.Stream, listen.Datagram, listen.SequentialPacket:
			if strings.HasPrefix(v, "vsock:") {
				return unsupportedf("%s=%s: AF_VSOCK sockets", kind.Directive(), v)
			}
			if strings.HasPrefix(v, "/var/run/") {
				nv := "/run/" + strings.TrimPrefix(v, "/var/run/")
				c.warn("%s= references a path below legacy directory /var/run/, updating %s → %s; please update the unit file accordingly.", kind.Directive(), v, nv)
				v = nv
			}
			spec, err = ParseSocketAddress(kind, v)
		case listen.Netlink:
			spec, err = ParseNetlink(v)
		default:
			if !strings.HasPrefix(v, "/") {
				c.warn("%s= path is not absolute, ignoring: %s", kind.Directive(), v)
				return nil
			}
			if kind != listen.MessageQueue && filepath.Clean(v) != v {
				c.warn("%s= path is not normalized, ignoring: %s", kind.Directive(), v)
				return nil
			}
			spec = listen.Spec{Kind: kind, Path: v}
		}
		if err != nil {
			c.warn("Failed to parse address value in '%s', ignoring: %s", v, listen.ErrnoText(err))
			return nil
		}
		s.Listen = append(s.Listen, spec)
		return nil
	}
}
