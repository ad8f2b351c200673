package unitconf

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/capsuled/capsuled/internal/listen"
	"github.com/capsuled/capsuled/internal/unit"
)

// Socket is the [Socket] section of a .socket unit.
type Socket struct {
	// Listen are the Listen*= listeners, in file order.
	Listen []listen.Spec
	// Opts are the settings of every listener (SocketMode=, Backlog=...).
	Opts    listen.Options
	Service string // the unit started on the first connection
	FDName  string // FileDescriptorName=
	// User and Group own the socket nodes (SocketUser=, SocketGroup=);
	// "" leaves them the manager's.
	User, Group string
	// KeepOnStop is RemoveOnStop=no: the socket nodes stay when the unit
	// stops (capsuled removes them by default, unlike systemd).
	KeepOnStop bool
	// Accept starts one instance of the NAME@.service template per
	// connection, with the connection instead of the listening sockets.
	Accept bool
	// MaxConnections bounds the instances running at once, and
	// MaxConnectionsPerSource those of one peer address (0: no bound).
	MaxConnections, MaxConnectionsPerSource uint
	serviceSet                              bool // Service= was given
	SocketRun
	// Symlinks are made to the unit's one file system socket or FIFO.
	Symlinks []string
}

func newSocket(name string) *Socket {
	// The file descriptor name defaults to the whole unit name, as in
	// systemd 257 (FileDescriptorName=foo.socket).
	return &Socket{Opts: listen.Defaults(), Service: strings.TrimSuffix(name, ".socket") + ".service", FDName: name,
		MaxConnections: 64, SocketRun: newSocketRun()}
}

func sock(c *parseCtx) *Socket { return c.unit().Socket }

// parseMode returns the parser of an octal file mode.
func parseMode(field func(*listen.Options) *os.FileMode, def os.FileMode) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst := field(&sock(c).Opts)
		if v == "" {
			*dst = def
			return nil
		}
		n, err := strconv.ParseUint(v, 8, 32)
		if err != nil || n > 0o7777 {
			return fmt.Errorf("not an octal mode")
		}
		*dst = os.FileMode(n)
		return nil
	}
}

func parseAccept(c *parseCtx, v string) error {
	return parseBoolInto(&sock(c).Accept, v, false)
}

// parseConnections returns the parser of MaxConnections= or
// MaxConnectionsPerSource=, an unsigned number.
func parseConnections(field func(*Socket) *uint, def uint) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst := field(sock(c))
		if v == "" {
			*dst = def
			return nil
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return fmt.Errorf("not an unsigned number")
		}
		*dst = uint(n)
		return nil
	}
}

func parseSocketService(c *parseCtx, v string) error {
	if v == "" {
		sock(c).Service = newSocket(c.unit().Name).Service
		sock(c).serviceSet = false
		return nil
	}
	n, err := unit.ParseName(v)
	if err != nil || n.Type != "service" || n.IsTemplate() {
		return fmt.Errorf("not a service unit name")
	}
	sock(c).Service = v
	sock(c).serviceSet = true
	return nil
}

func parseFDName(c *parseCtx, v string) error {
	if v == "" {
		sock(c).FDName = newSocket(c.unit().Name).FDName
		return nil
	}
	// As sd_listen_fds_with_names() needs them: printable, no ":".
	if len(v) > 255 {
		return fmt.Errorf("name too long")
	}
	for _, r := range v {
		if r < ' ' || r > '~' || r == ':' {
			return fmt.Errorf("invalid character %q", r)
		}
	}
	sock(c).FDName = v
	return nil
}

func socketDirectives() []Directive {
	return append([]Directive{
		{Key: "ListenStream", Props: []string{"Listen"}, List: true, Parse: parseListen(listen.Stream)},
		{Key: "ListenDatagram", Props: []string{"Listen"}, List: true, Parse: parseListen(listen.Datagram)},
		{Key: "ListenSequentialPacket", Props: []string{"Listen"}, List: true, Parse: parseListen(listen.SequentialPacket)},
		{Key: "ListenFIFO", Props: []string{"Listen"}, List: true, Parse: parseListen(listen.FIFO)},
		{Key: "ListenSpecial", Props: []string{"Listen"}, List: true, Parse: parseListen(listen.Special)},
		{Key: "ListenNetlink", Props: []string{"Listen"}, List: true, Parse: parseListen(listen.Netlink)},
		{Key: "ListenMessageQueue", Props: []string{"Listen"}, List: true, Parse: parseListen(listen.MessageQueue)},
		{Key: "SocketMode", Props: []string{"SocketMode"}, Raw: true, Parse: parseMode(func(o *listen.Options) *os.FileMode { return &o.SocketMode }, 0o666)},
		{Key: "DirectoryMode", Props: []string{"DirectoryMode"}, Raw: true, Parse: parseMode(func(o *listen.Options) *os.FileMode { return &o.DirectoryMode }, 0o755)},
		{Key: "Accept", Props: []string{"Accept"}, Raw: true, Parse: parseAccept},
		{Key: "MaxConnections", Props: []string{"MaxConnections"}, Raw: true, Parse: parseConnections(func(s *Socket) *uint { return &s.MaxConnections }, 64)},
		{Key: "MaxConnectionsPerSource", Props: []string{"MaxConnectionsPerSource"}, Raw: true, Parse: parseConnections(func(s *Socket) *uint { return &s.MaxConnectionsPerSource }, 0)},
		{Key: "Service", Props: []string{"Triggers"}, Parse: parseSocketService},
		{Key: "FileDescriptorName", Props: []string{"FileDescriptorName"}, Raw: true, Parse: parseFDName},
		{Key: "RemoveOnStop", Props: []string{"RemoveOnStop"}, Parse: func(c *parseCtx, v string) error {
			remove := true
			if err := parseBoolInto(&remove, v, true); err != nil {
				return err
			}
			sock(c).KeepOnStop = !remove
			return nil
		}},
		{Key: "SocketUser", Props: []string{"SocketUser"}, Parse: func(c *parseCtx, v string) error {
			if v == "nobody" {
				c.warn("Special user nobody configured, this is not safe!")
			}
			return socketOwner(func(s *Socket) *string { return &s.User })(c, v)
		}},
		{Key: "SocketGroup", Props: []string{"SocketGroup"}, Parse: socketOwner(func(s *Socket) *string { return &s.Group })},
	}, socketOptionDirectives()...)
}

// socketOwner parses SocketUser= or SocketGroup=: a user or group name,
// or a number.
func socketOwner(field func(*Socket) *string) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		if v != "" && !validOwnerName(v) {
			return fmt.Errorf("invalid user/group name or numeric ID: %s", v)
		}
		*field(sock(c)) = v
		return nil
	}
}

// validOwnerName accepts what systemd's relaxed user name check does: no
// empty name, no leading dash or digit-only-with-sign, no ':', '/', space
// or control characters, and at most 256 bytes.
func validOwnerName(v string) bool {
	if len(v) > 256 || strings.HasPrefix(v, "-") || v == "." || v == ".." {
		return false
	}
	for _, r := range v {
		if r <= ' ' || r == ':' || r == '/' || r == 0x7f {
			return false
		}
	}
	return true
}

func socketProps() []Property {
	return append([]Property{
		{Name: "RemoveOnStop", Format: func(u *Unit) string { return FormatBool(!u.Socket.KeepOnStop) }},
		{Name: "SocketUser", Format: func(u *Unit) string { return u.Socket.User }},
		{Name: "SocketGroup", Format: func(u *Unit) string { return u.Socket.Group }},
		{Name: "SocketMode", Format: func(u *Unit) string { return fmt.Sprintf("%04o", u.Socket.Opts.SocketMode) }},
		{Name: "DirectoryMode", Format: func(u *Unit) string { return fmt.Sprintf("%04o", u.Socket.Opts.DirectoryMode) }},
		{Name: "Accept", Format: func(u *Unit) string { return FormatBool(u.Socket.Accept) }},
		{Name: "MaxConnections", Format: func(u *Unit) string { return strconv.FormatUint(uint64(u.Socket.MaxConnections), 10) }},
		{Name: "MaxConnectionsPerSource", Format: func(u *Unit) string { return strconv.FormatUint(uint64(u.Socket.MaxConnectionsPerSource), 10) }},
		{Name: "Listen", Lines: func(u *Unit) []string {
			var out []string
			for _, l := range u.Socket.Listen {
				out = append(out, l.String())
			}
			return out
		}},
		{Name: "FileDescriptorName", Format: func(u *Unit) string { return u.Socket.FDName }},
		{Name: "Triggers", Format: func(u *Unit) string {
			if u.Socket.Accept {
				return "" // the instances, started per connection
			}
			return u.Socket.Service
		}},
	}, socketOptionProps()...)
}

// finish checks the socket as a whole.
func (s *Socket) finish() error {
	if len(s.Listen) == 0 {
		return refuse("Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing.")
	}
	if s.Accept && slices.ContainsFunc(s.Listen, func(l listen.Spec) bool { return l.Kind != listen.Stream && l.Kind != listen.SequentialPacket }) {
		return refuse("Unit configured for accepting sockets, but sockets are non-accepting. Refusing.")
	}
	if s.Accept && s.MaxConnections == 0 {
		return refuse("MaxConnection= setting too small. Refusing.")
	}
	if s.Accept && s.serviceSet {
		return refuse("Explicit service configuration for accepting socket units not supported. Refusing.")
	}
	return nil
}
