package listen

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func (s Spec) sockType() int {
	switch s.Kind {
	case Datagram:
		return unix.SOCK_DGRAM
	case SequentialPacket:
		return unix.SOCK_SEQPACKET
	}
	return unix.SOCK_STREAM
}

// sockaddr is the address to bind, and its family.
func (s Spec) sockaddr() (unix.Sockaddr, int) {
	switch {
	case s.IsUnixPath():
		return &unix.SockaddrUnix{Name: s.Path}, unix.AF_UNIX
	case s.IsAbstract():
		// x/sys/unix takes a leading "@" as the abstract namespace's NUL.
		return &unix.SockaddrUnix{Name: s.Path}, unix.AF_UNIX
	case s.Addr.Addr().Is4():
		return &unix.SockaddrInet4{Port: int(s.Addr.Port()), Addr: s.Addr.Addr().As4()}, unix.AF_INET
	}
	sa := &unix.SockaddrInet6{Port: int(s.Addr.Port()), Addr: s.Addr.Addr().As16()}
	if z := s.Addr.Addr().Zone(); z != "" {
		if ifi, err := interfaceIndex(z); err == nil {
			sa.ZoneId = uint32(ifi)
		}
	}
	return sa, unix.AF_INET6
}

func openSocket(s Spec, o *Options) (*os.File, []Warning, error) {
	fail := func(err error) error {
		return &Error{Msg: fmt.Sprintf("Failed to create listening socket (%s)", s.Address()), Err: err}
	}
	sa, family := s.sockaddr()
	proto := 0
	if family != unix.AF_UNIX {
		proto = o.Protocol
	}
	fd, err := unix.Socket(family, s.sockType()|unix.SOCK_CLOEXEC, proto)
	if errors.Is(err, unix.EAFNOSUPPORT) && s.AnyPort {
		// A host without IPv6: a bare port is IPv4's any address, as in
		// systemd.
		sa, family = &unix.SockaddrInet4{Port: int(s.Addr.Port())}, unix.AF_INET
		fd, err = unix.Socket(family, s.sockType()|unix.SOCK_CLOEXEC, proto)
	}
	if err != nil {
		return nil, nil, fail(err)
	}
	f := os.NewFile(uintptr(fd), s.Address())
	closeFail := func(err error) (*os.File, []Warning, error) {
		f.Close()
		return nil, nil, fail(err)
	}
	if family != unix.AF_UNIX {
		if err := bindOptions(fd, family, o); err != nil {
			return closeFail(err)
		}
	}
	var n node
	if s.IsUnixPath() {
		if n, err = openNodeDir(s.Path, true, o.DirectoryMode); err != nil {
			return closeFail(err)
		}
		defer n.close()
		// A socket left from before (a crash, RemoveOnStop=no) is
		// replaced; anything else at the path makes bind fail.
		if err := n.removeIf(unix.S_IFSOCK); err != nil {
			return closeFail(err)
		}
	}
	bind := func() error { return unix.Bind(fd, sa) }
	if s.IsUnixPath() {
		bind = func() error { return bindAt(fd, n, s.Path) }
	}
	if err := bind(); err != nil {
		return closeFail(err)
	}
	if s.IsUnixPath() {
		if err := n.setOwnerMode(unix.S_IFSOCK, o.SocketMode, o.UID, o.GID); err != nil {
			f.Close()
			var ce *ChownError
			if errors.As(err, &ce) {
				return nil, nil, ce
			}
			return nil, nil, fail(err)
		}
	}
	if s.Kind != Datagram {
		if err := unix.Listen(fd, o.Backlog); err != nil {
			return closeFail(err)
		}
	}
	return f, applyOptions(fd, family, s, o), nil
}

// bindOptions are the IP options that must be set before bind(2), and
// fail the listener if the kernel refuses them, as in systemd.
func bindOptions(fd, family int, o *Options) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return err
	}
	if family == unix.AF_INET6 && o.BindIPv6Only != "default" && o.BindIPv6Only != "" {
		v := 0
		if o.BindIPv6Only == "ipv6-only" {
			v = 1
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v); err != nil {
			return err
		}
	}
	if o.BindToDevice != "" {
		if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, o.BindToDevice); err != nil {
			return err
		}
	}
	if o.ReusePort {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return err
		}
	}
	if o.FreeBind {
		lvl, opt := unix.IPPROTO_IP, unix.IP_FREEBIND
		if family == unix.AF_INET6 {
			lvl, opt = unix.IPPROTO_IPV6, unix.IPV6_FREEBIND
		}
		if err := unix.SetsockoptInt(fd, lvl, opt, 1); err != nil {
			return err
		}
	}
	if o.Transparent {
		lvl, opt := unix.IPPROTO_IP, unix.IP_TRANSPARENT
		if family == unix.AF_INET6 {
			lvl, opt = unix.IPPROTO_IPV6, unix.IPV6_TRANSPARENT
		}
		if err := unix.SetsockoptInt(fd, lvl, opt, 1); err != nil {
			return err
		}
	}
	return nil
}

func openNetlink(s Spec, o *Options) (*os.File, []Warning, error) {
	fail := func(err error) error {
		return &Error{Msg: fmt.Sprintf("Failed to create listening socket (%s)", s.Address()), Err: err}
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, s.NetlinkFamily)
	if err != nil {
		return nil, nil, fail(err)
	}
	f := os.NewFile(uintptr(fd), s.Address())
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: s.NetlinkGroup}); err != nil {
		f.Close()
		return nil, nil, fail(err)
	}
	return f, applyOptions(fd, unix.AF_NETLINK, s, o), nil
}
