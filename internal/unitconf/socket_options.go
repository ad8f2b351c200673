package unitconf

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/listen"
	"github.com/capsuled/capsuled/internal/unit"
)

func sopts(c *parseCtx) *listen.Options { return &sock(c).Opts }

// badValue is systemd's warning for a socket option it cannot parse.
func badValue(c *parseCtx, v, why string) error {
	c.warn("Failed to parse %s=%s, ignoring: %s", c.key, v, why)
	return nil
}

func optBool(field func(*listen.Options) *bool) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error { return parseBoolInto(field(sopts(c)), v, false) }
}

// optInt parses a number in [lo, hi]; empty resets to def.
func optInt(field func(*listen.Options) *int, lo, hi, def int) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		if v == "" {
			*field(sopts(c)) = def
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < int64(lo) || n > int64(hi) {
			return badValue(c, v, "Invalid argument")
		}
		*field(sopts(c)) = int(n)
		return nil
	}
}

// optSize parses a byte size (K, M, G suffixes, 1024-based).
func optSize(field func(*listen.Options) *int) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		if v == "" {
			*field(sopts(c)) = 0
			return nil
		}
		n, err := parseIECBytes(v)
		if err != nil || n > 1<<31-1 {
			return badValue(c, v, "Invalid argument")
		}
		*field(sopts(c)) = int(n)
		return nil
	}
}

func optSpan(field func(*listen.Options) *time.Duration) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		if v == "" {
			*field(sopts(c)) = 0
			return nil
		}
		d, err := unit.ParseTimespan(v)
		if err != nil {
			return badValue(c, v, "Invalid argument")
		}
		*field(sopts(c)) = d
		return nil
	}
}

// ipTOS are the IPTOS= names (IPTOS_* of netinet/ip.h).
var ipTOS = map[string]int{"low-delay": 0x10, "throughput": 0x08, "reliability": 0x04, "low-cost": 0x02}

func parseIPTOS(c *parseCtx, v string) error {
	if n, ok := ipTOS[v]; ok {
		sopts(c).IPTOS = n
		return nil
	}
	return optInt(func(o *listen.Options) *int { return &o.IPTOS }, 0, 255, -1)(c, v)
}

// socketProtocols are SocketProtocol='s values.
var socketProtocols = map[string]int{"udplite": 136, "sctp": 132, "mptcp": 262}

func parseSocketProtocol(c *parseCtx, v string) error {
	if v == "" {
		sopts(c).Protocol = 0
		return nil
	}
	n, ok := socketProtocols[v]
	if !ok {
		return badValue(c, v, "Protocol not supported")
	}
	sopts(c).Protocol = n
	return nil
}

func parseBindIPv6Only(c *parseCtx, v string) error {
	switch v {
	case "":
		v = "default"
	case "default", "both", "ipv6-only":
	default:
		if b, err := unit.ParseBool(v); err == nil {
			// A boolean is taken too: yes is ipv6-only, no is both.
			v = map[bool]string{true: "ipv6-only", false: "both"}[b]
		} else {
			return badValue(c, v, "Invalid argument")
		}
	}
	sopts(c).BindIPv6Only = v
	return nil
}

func parseTimestamping(c *parseCtx, v string) error {
	switch v {
	case "", "off":
		v = "off"
	case "us", "usec", "µs":
		v = "us"
	case "ns", "nsec":
		v = "ns"
	default:
		return badValue(c, v, "Invalid argument")
	}
	sopts(c).Timestamping = v
	return nil
}

func parseBindToDevice(c *parseCtx, v string) error {
	// An interface name as the kernel takes one.
	if len(v) > 15 || strings.ContainsAny(v, "/: \t\n") || v == "." || v == ".." {
		return badValue(c, v, "Invalid argument")
	}
	sopts(c).BindToDevice = v
	return nil
}

func parseTCPCongestion(c *parseCtx, v string) error {
	if len(v) > 15 || strings.ContainsAny(v, " \t\n/") {
		return badValue(c, v, "Invalid argument")
	}
	sopts(c).TCPCongestion = v
	return nil
}

func parseMQ(field func(*listen.Options) *int64) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		if v == "" {
			*field(sopts(c)) = 0
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return badValue(c, v, "Invalid argument")
		}
		*field(sopts(c)) = n
		return nil
	}
}

func parseSymlinks(c *parseCtx, v string) error {
	s := sock(c)
	if v == "" {
		s.Symlinks = nil
		return nil
	}
	for _, w := range strings.Fields(v) {
		if !strings.HasPrefix(w, "/") {
			c.warn("Symlinks= path is not absolute, ignoring: %s", w)
			continue
		}
		if filepath.Clean(w) != w {
			c.warn("Symlinks= path is not normalized, ignoring: %s", w)
			continue
		}
		s.Symlinks = append(s.Symlinks, w)
	}
	return nil
}

func socketOptionDirectives() []Directive {
	b := func(key string, f func(*listen.Options) *bool) Directive {
		return Directive{Key: key, Props: []string{key}, Parse: optBool(f)}
	}
	return []Directive{
		{Key: "BindIPv6Only", Props: []string{"BindIPv6Only"}, Parse: parseBindIPv6Only},
		{Key: "Backlog", Props: []string{"Backlog"}, Parse: optInt(func(o *listen.Options) *int { return &o.Backlog }, 0, 1<<31-1, 1<<31-1)},
		{Key: "BindToDevice", Props: []string{"BindToDevice"}, Parse: parseBindToDevice},
		{Key: "SocketProtocol", Props: []string{"SocketProtocol"}, Parse: parseSocketProtocol},
		b("FreeBind", func(o *listen.Options) *bool { return &o.FreeBind }),
		b("Transparent", func(o *listen.Options) *bool { return &o.Transparent }),
		b("Broadcast", func(o *listen.Options) *bool { return &o.Broadcast }),
		b("ReusePort", func(o *listen.Options) *bool { return &o.ReusePort }),
		b("PassCredentials", func(o *listen.Options) *bool { return &o.PassCred }),
		b("PassSecurity", func(o *listen.Options) *bool { return &o.PassSec }),
		b("PassPacketInfo", func(o *listen.Options) *bool { return &o.PassPktInfo }),
		b("KeepAlive", func(o *listen.Options) *bool { return &o.KeepAlive }),
		b("NoDelay", func(o *listen.Options) *bool { return &o.NoDelay }),
		b("Writable", func(o *listen.Options) *bool { return &o.Writable }),
		{Key: "KeepAliveTimeSec", Props: []string{"KeepAliveTimeUSec"}, Parse: optSpan(func(o *listen.Options) *time.Duration { return &o.KeepAliveTime })},
		{Key: "KeepAliveIntervalSec", Props: []string{"KeepAliveIntervalUSec"}, Parse: optSpan(func(o *listen.Options) *time.Duration { return &o.KeepAliveIntv })},
		{Key: "KeepAliveProbes", Props: []string{"KeepAliveProbes"}, Parse: optInt(func(o *listen.Options) *int { return &o.KeepAliveCnt }, 0, 1<<31-1, 0)},
		{Key: "DeferAcceptSec", Props: []string{"DeferAcceptUSec"}, Parse: optSpan(func(o *listen.Options) *time.Duration { return &o.DeferAccept })},
		{Key: "Priority", Props: []string{"Priority"}, Parse: optInt(func(o *listen.Options) *int { return &o.Priority }, 0, 1<<31-1, -1)},
		{Key: "ReceiveBuffer", Props: []string{"ReceiveBuffer"}, Parse: optSize(func(o *listen.Options) *int { return &o.ReceiveBuffer })},
		{Key: "SendBuffer", Props: []string{"SendBuffer"}, Parse: optSize(func(o *listen.Options) *int { return &o.SendBuffer })},
		{Key: "IPTOS", Props: []string{"IPTOS"}, Parse: parseIPTOS},
		{Key: "IPTTL", Props: []string{"IPTTL"}, Parse: optInt(func(o *listen.Options) *int { return &o.IPTTL }, 1, 255, -1)},
		{Key: "Mark", Props: []string{"Mark"}, Parse: optInt(func(o *listen.Options) *int { return &o.Mark }, 0, 1<<32-1, -1)},
		{Key: "Timestamping", Props: []string{"Timestamping"}, Parse: parseTimestamping},
		{Key: "TCPCongestion", Props: []string{"TCPCongestion"}, Parse: parseTCPCongestion},
		{Key: "PipeSize", Props: []string{"PipeSize"}, Parse: optSize(func(o *listen.Options) *int { return &o.PipeSize })},
		{Key: "MessageQueueMaxMessages", Props: []string{"MessageQueueMaxMessages"}, Parse: parseMQ(func(o *listen.Options) *int64 { return &o.MQMaxMsg })},
		{Key: "MessageQueueMessageSize", Props: []string{"MessageQueueMessageSize"}, Parse: parseMQ(func(o *listen.Options) *int64 { return &o.MQMsgSize })},
		{Key: "Symlinks", Props: []string{"Symlinks"}, List: true, Parse: parseSymlinks},
	}
}

func socketOptionProps() []Property {
	o := func(u *Unit) *listen.Options { return &u.Socket.Opts }
	b := func(name string, f func(*listen.Options) bool) Property {
		return Property{Name: name, Format: func(u *Unit) string { return FormatBool(f(o(u))) }}
	}
	n := func(name string, f func(*listen.Options) int) Property {
		return Property{Name: name, Format: func(u *Unit) string { return strconv.Itoa(f(o(u))) }}
	}
	return []Property{
		{Name: "BindIPv6Only", Format: func(u *Unit) string { return o(u).BindIPv6Only }},
		n("Backlog", func(o *listen.Options) int { return o.Backlog }),
		{Name: "BindToDevice", Format: func(u *Unit) string { return o(u).BindToDevice }},
		b("Writable", func(o *listen.Options) bool { return o.Writable }),
		b("KeepAlive", func(o *listen.Options) bool { return o.KeepAlive }),
		{Name: "KeepAliveTimeUSec", Format: func(u *Unit) string { return formatTimespan(o(u).KeepAliveTime) }},
		{Name: "KeepAliveIntervalUSec", Format: func(u *Unit) string { return formatTimespan(o(u).KeepAliveIntv) }},
		n("KeepAliveProbes", func(o *listen.Options) int { return o.KeepAliveCnt }),
		{Name: "DeferAcceptUSec", Format: func(u *Unit) string { return formatTimespan(o(u).DeferAccept) }},
		b("NoDelay", func(o *listen.Options) bool { return o.NoDelay }),
		n("Priority", func(o *listen.Options) int { return o.Priority }),
		n("ReceiveBuffer", func(o *listen.Options) int { return o.ReceiveBuffer }),
		n("SendBuffer", func(o *listen.Options) int { return o.SendBuffer }),
		n("IPTOS", func(o *listen.Options) int { return o.IPTOS }),
		n("IPTTL", func(o *listen.Options) int { return o.IPTTL }),
		n("PipeSize", func(o *listen.Options) int { return o.PipeSize }),
		b("FreeBind", func(o *listen.Options) bool { return o.FreeBind }),
		b("Transparent", func(o *listen.Options) bool { return o.Transparent }),
		b("Broadcast", func(o *listen.Options) bool { return o.Broadcast }),
		b("PassCredentials", func(o *listen.Options) bool { return o.PassCred }),
		b("PassSecurity", func(o *listen.Options) bool { return o.PassSec }),
		b("PassPacketInfo", func(o *listen.Options) bool { return o.PassPktInfo }),
		{Name: "Timestamping", Format: func(u *Unit) string { return o(u).Timestamping }},
		{Name: "Symlinks", Format: func(u *Unit) string { return strings.Join(u.Socket.Symlinks, " ") }},
		n("Mark", func(o *listen.Options) int { return o.Mark }),
		{Name: "MessageQueueMaxMessages", Format: func(u *Unit) string { return fmt.Sprint(o(u).MQMaxMsg) }},
		{Name: "MessageQueueMessageSize", Format: func(u *Unit) string { return fmt.Sprint(o(u).MQMsgSize) }},
		b("ReusePort", func(o *listen.Options) bool { return o.ReusePort }),
		{Name: "TCPCongestion", Format: func(u *Unit) string { return o(u).TCPCongestion }},
		n("SocketProtocol", func(o *listen.Options) int { return o.Protocol }),
	}
}
