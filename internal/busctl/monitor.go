package busctl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/escape"
)

// DumpMessage writes m with its header as busctl monitor does. Every
// string the bus delivered is escaped for a terminal, line breaks too.
func DumpMessage(m *Message, at time.Time) string {
	return formatString(func(w textSink) { writeMessage(w, m, at) })
}

func writeMessage(b textSink, m *Message, at time.Time) {
	cookie := fmt.Sprint(m.Serial)
	if m.Serial == 0xffffffff {
		cookie = "-1"
	}
	fmt.Fprintf(b, "‣ Type=%s  Endian=%c  Flags=%d  Version=%d Cookie=%s", m.TypeName(), m.Order, m.Flags, m.Version, cookie)
	if m.ReplySerial != 0 {
		fmt.Fprintf(b, "  ReplyCookie=%d", m.ReplySerial)
	}
	fmt.Fprintf(b, "  Timestamp=\"%s\"\n", at.UTC().Format("Mon 2006-01-02 15:04:05.000000 MST"))
	any := false
	for _, f := range [][2]string{{"Sender", m.Sender}, {"Destination", m.Destination}, {"Path", m.Path},
		{"Interface", m.Interface}, {"Member", m.Member}} {
		if f[1] != "" {
			fmt.Fprintf(b, "  %s=%s", f[0], escape.Text(f[1]))
			any = true
		}
	}
	if any {
		b.WriteString("\n")
	}
	if m.Type == TypeError {
		fmt.Fprintf(b, "  ErrorName=%s  ErrorMessage=\"%s\"\n", escape.Text(m.ErrorName), escape.Text(m.ErrorMessage()))
	}
	if strings.HasPrefix(m.Sender, ":") {
		fmt.Fprintf(b, "  UniqueName=%s\n", escape.Text(m.Sender))
	}
	fmt.Fprintf(b, "  MESSAGE \"%s\" {\n", escape.Text(m.Signature))
	dumpValues(b, m.Body, 1, "  ")
	b.WriteString("  };\n\n")
}

// becomeMonitor turns the connection into a monitor of the names (all
// traffic without names) and waits until the bus confirms it.
func becomeMonitor(c *Conn, e *Env, names []string) error {
	rules := []string{}
	for _, n := range names {
		if !ValidServiceName(n) {
			return failf(fmt.Sprintf("Invalid service name '%s'", n))
		}
		rules = append(rules, "sender='"+n+"'", "destination='"+n+"'")
	}
	rules = append(rules, e.Opt.Matches...)
	if _, err := c.CallMethod("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.Monitoring",
		"BecomeMonitor", StrArray(rules), U32(0)); err != nil {
		return failf("Call to org.freedesktop.DBus.Monitoring.BecomeMonitor failed: " + busErrText(err))
	}
	// Until the bus takes our unique name away we are not a monitor yet.
	for {
		m, err := c.Next(time.Now().Add(c.Timeout))
		if err != nil {
			return failf("Failed to process bus: " + ErrnoText(err))
		}
		if m.Type == TypeSignal && m.Interface == "org.freedesktop.DBus" && m.Member == "NameLost" &&
			len(m.Body) == 1 && m.Body[0].String() == c.Unique {
			return nil
		}
	}
}

// monitor prints every message with dump until the connection ends, the
// limit is reached or --timeout= passes.
func monitor(c *Conn, e *Env, names []string, dump func(*Message, time.Time) error) error {
	if err := becomeMonitor(c, e, names); err != nil {
		return err
	}
	info := !e.Opt.Quiet && e.Opt.JSON == ""
	if info {
		fmt.Fprintln(e.Err, "Monitoring bus message stream.")
	}
	var deadline time.Time
	if e.Opt.Timeout > 0 {
		deadline = time.Now().Add(e.Opt.Timeout)
	}
	left := e.Opt.Limit
	for {
		m, err := c.Next(deadline)
		switch {
		case errors.Is(err, unix.ETIMEDOUT):
			if info {
				fmt.Fprintln(e.Err, "Timed out waiting for messages, exiting.")
			}
			return nil
		case errors.Is(err, unix.EPIPE):
			if info {
				fmt.Fprintln(e.Err, "Connection terminated, exiting.")
			}
			return nil
		case err != nil:
			return failf("Failed to process bus: " + ErrnoText(err))
		}
		if err := dump(m, time.Now()); err != nil {
			return err
		}
		if left > 0 {
			if left--; left == 0 {
				if info {
					fmt.Fprintln(e.Err, "Received requested maximum number of messages, exiting.")
				}
				return nil
			}
		}
	}
}

// Monitor prints the bus's messages as busctl monitor does.
func Monitor(c *Conn, e *Env, names []string) error {
	return monitor(c, e, names, func(m *Message, at time.Time) error {
		if e.Opt.JSON != "" {
			return jsonMessageHeader(m, at).Print(e.Out, e.Opt.JSON == "pretty")
		}
		return writeOut(e.Out, func(w textSink) { writeMessage(w, m, at) })
	})
}

func jsonMessageHeader(m *Message, at time.Time) jnode {
	o := jobj(jstr("type"), jstr(m.TypeName()), jstr("endian"), jstr(string(m.Order)),
		jstr("flags"), jnode{kind: 'n', text: fmt.Sprint(m.Flags)}, jstr("version"), jnode{kind: 'n', text: fmt.Sprint(m.Version)},
		jstr("cookie"), jnode{kind: 'n', text: fmt.Sprint(m.Serial)})
	if m.ReplySerial != 0 {
		o.elems = append(o.elems, jstr("reply_cookie"), jnode{kind: 'n', text: fmt.Sprint(m.ReplySerial)})
	}
	o.elems = append(o.elems, jstr("timestamp-realtime"), jnode{kind: 'n', text: fmt.Sprint(at.UnixMicro())})
	for _, f := range [][2]string{{"sender", m.Sender}, {"destination", m.Destination}, {"path", m.Path},
		{"interface", m.Interface}, {"member", m.Member}} {
		if f[1] != "" {
			o.elems = append(o.elems, jstr(f[0]), jstr(f[1]))
		}
	}
	o.elems = append(o.elems, jstr("realtime"), jnode{kind: 'n', text: fmt.Sprint(at.UnixMicro())})
	if m.ErrorName != "" {
		o.elems = append(o.elems, jstr("error_name"), jstr(m.ErrorName))
	}
	o.elems = append(o.elems, jstr("payload"), JSONMessage(m.Body))
	return o
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Capture writes the bus's messages to e.Raw as pcapng, as busctl
// capture does; it refuses a terminal.
func Capture(c *Conn, e *Env, names []string, osName, app string) error {
	if IsTerminal(e.Raw) {
		return failf("Refusing to write message data to console, please redirect output to a file.")
	}
	if _, err := e.Raw.Write(PcapHeader(e.Opt.Snaplen, osName, app)); err != nil {
		return failf("Couldn't write capture file: " + ErrnoText(err))
	}
	return monitor(c, e, names, func(m *Message, at time.Time) error {
		if _, err := e.Raw.Write(PcapFrame(m.Raw, e.Opt.Snaplen, at)); err != nil {
			return failf("Couldn't write capture file: " + ErrnoText(err))
		}
		return nil
	})
}

func pcapOpt(b []byte, code uint16, data string) []byte {
	b = binary.LittleEndian.AppendUint16(b, code)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// PcapHeader is a pcapng section header (with the OS and application
// options) and one interface of link type 231 (D-Bus).
func PcapHeader(snaplen int, osName, app string) []byte {
	le := binary.LittleEndian
	var opts []byte
	if osName != "" {
		opts = pcapOpt(opts, 3, osName)
	}
	if app != "" {
		opts = pcapOpt(opts, 4, app)
	}
	opts = pcapOpt(opts, 0, "")
	n := uint32(24 + len(opts) + 4)
	b := le.AppendUint32(nil, 0x0A0D0D0A)
	b = le.AppendUint32(b, n)
	b = le.AppendUint32(b, 0x1A2B3C4D)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint64(b, ^uint64(0))
	b = append(b, opts...)
	b = le.AppendUint32(b, n)
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, 20)
	b = le.AppendUint16(b, 231)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, uint32(snaplen))
	b = le.AppendUint32(b, 20)
	return b
}

// PcapFrame is an enhanced packet block holding a message's bytes (cut
// at snaplen).
func PcapFrame(raw []byte, snaplen int, at time.Time) []byte {
	le := binary.LittleEndian
	capLen := min(len(raw), snaplen)
	pad := (4 - capLen%4) % 4
	n := uint32(28 + capLen + pad + 4)
	ts := uint64(at.UnixMicro())
	b := le.AppendUint32(nil, 6)
	b = le.AppendUint32(b, n)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, uint32(ts>>32))
	b = le.AppendUint32(b, uint32(ts))
	b = le.AppendUint32(b, uint32(capLen))
	b = le.AppendUint32(b, uint32(len(raw)))
	b = append(b, raw[:capLen]...)
	b = append(b, make([]byte, pad)...)
	b = le.AppendUint32(b, n)
	return b
}
