package busctl

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultTimeout is how long a call waits for its reply, as sd-bus does.
const DefaultTimeout = 25 * time.Second

// Conn is a connection to a capsule's bus.
type Conn struct {
	f      *os.File
	r      *bufio.Reader
	serial uint32
	// queue holds the messages that came while a call waited for its
	// reply, undecoded (see Call); queued is their size in bytes.
	queue   [][]byte
	queued  int
	Unique  string // our unique name
	GUID    string // the server's GUID from authentication
	Address string // as busctl shows it
	UID     uint32 // whom we connected as
	GID     uint32
	Timeout time.Duration
}

// ConnectError is a failure to reach the bus, worded as busctl words it.
type ConnectError struct {
	Stage string // "Failed to set bus address" or "Failed to connect to ..."
	Err   error
}

func (e *ConnectError) Error() string { return e.Stage + ": " + ErrnoText(e.Err) }
func (e *ConnectError) Unwrap() error { return e.Err }

const connectStage = "Failed to connect to system scope bus via capsule transport"

// DialCapsule connects to the bus socket at path (runtime directory of
// the capsule + "/bus") the way busctl --capsule= does, authenticates as
// the socket's owner and says Hello.
func DialCapsule(path string) (*Conn, error) {
	s, err := PinSocket(path)
	if err != nil {
		return nil, &ConnectError{"Failed to set bus address", err}
	}
	defer s.Close()
	if !s.IsSocket() {
		// connect() to anything else is refused; say so without trying.
		return nil, &ConnectError{connectStage, unix.ECONNREFUSED}
	}
	fd, err := dialAs(s)
	if err != nil {
		return nil, &ConnectError{connectStage, err}
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, &ConnectError{connectStage, err}
	}
	c := &Conn{f: os.NewFile(uintptr(fd), "bus"), UID: s.UID, GID: s.GID, Timeout: DefaultTimeout,
		Address: fmt.Sprintf("unix:path=/proc/self/fd/%d,uid=%d,gid=%d", s.FD, s.UID, s.GID)}
	c.r = bufio.NewReaderSize(c.f, 64<<10)
	if err := c.auth(); err != nil {
		c.Close()
		return nil, &ConnectError{connectStage, err}
	}
	if err := c.hello(); err != nil {
		c.Close()
		return nil, &ConnectError{connectStage, err}
	}
	return c, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.f.Close() }

// auth runs SASL EXTERNAL as the capsule's UID.
func (c *Conn) auth() error {
	if err := c.f.SetDeadline(time.Now().Add(c.Timeout)); err != nil {
		return err
	}
	defer c.f.SetDeadline(time.Time{})
	uid := hex.EncodeToString([]byte(strconv.FormatUint(uint64(c.UID), 10)))
	if _, err := io.WriteString(c.f, "\x00AUTH EXTERNAL "+uid+"\r\n"); err != nil {
		return wireErr(err)
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		return wireErr(err)
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "OK ") {
		return unix.EPERM
	}
	c.GUID = strings.TrimPrefix(line, "OK ")
	if _, err := io.WriteString(c.f, "BEGIN\r\n"); err != nil {
		return wireErr(err)
	}
	return nil
}

// wireErr turns a closed connection into the EPIPE sd-bus reports.
func wireErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, unix.ECONNRESET) {
		return unix.EPIPE
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return unix.ETIMEDOUT
	}
	return err
}

func (c *Conn) hello() error {
	r, err := c.CallMethod("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello")
	if err != nil {
		return err
	}
	if len(r.Body) != 1 {
		return errors.New("bad reply to Hello")
	}
	c.Unique = r.Body[0].String()
	return nil
}

// Send sends m with the next serial and returns the serial.
func (c *Conn) Send(m *Message) (uint32, error) {
	c.serial++
	m.Serial = c.serial
	raw, err := m.Marshal()
	if err != nil {
		return 0, err
	}
	if err := c.f.SetWriteDeadline(time.Now().Add(c.Timeout)); err != nil {
		return 0, err
	}
	if _, err := c.f.Write(raw); err != nil {
		return 0, wireErr(err)
	}
	return m.Serial, nil
}

// Next returns the next message not yet consumed, waiting until deadline
// (zero: forever).
func (c *Conn) Next(deadline time.Time) (*Message, error) {
	if len(c.queue) > 0 {
		raw := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		c.queued -= len(raw)
		return ParseMessage(raw)
	}
	if err := c.f.SetReadDeadline(deadline); err != nil {
		return nil, err
	}
	m, err := ReadMessage(c.r)
	if err != nil {
		return nil, wireErr(err)
	}
	return m, nil
}

// BusError is an error reply.
type BusError struct {
	Name, Message string
}

func (e *BusError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return e.Name
}

// maxQueued bounds the bytes of messages kept for Next while a call
// waits for its reply: a bus that floods the connection instead of
// replying makes the call fail rather than capsulectl's memory grow.
const maxQueued = 16 << 20

// errQueueFull is a call whose reply did not come before maxQueued bytes
// of other messages did.
var errQueueFull = fmt.Errorf("more than %d MiB of other messages arrived before the reply", maxQueued>>20)

// Call sends a method call and waits for its reply; other messages are
// kept for Next, undecoded and up to maxQueued bytes. An error reply
// comes back as *BusError.
func (c *Conn) Call(m *Message) (*Message, error) {
	m.Type = TypeMethodCall
	serial, err := c.Send(m)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(c.Timeout)
	if err := c.f.SetReadDeadline(deadline); err != nil {
		return nil, err
	}
	for {
		raw, err := readRaw(c.r)
		if err != nil {
			return nil, wireErr(err)
		}
		// Only the header is decoded to find the reply; the rest waits.
		budget := maxDecoded
		r, body, err := parseHeader(raw, &budget)
		if err != nil {
			return nil, err
		}
		if (r.Type == TypeMethodReturn || r.Type == TypeError) && r.ReplySerial == serial {
			if err := r.parseBody(body); err != nil {
				return nil, err
			}
			if r.Type == TypeError {
				return r, &BusError{Name: r.ErrorName, Message: r.ErrorMessage()}
			}
			return r, nil
		}
		if c.queued+len(raw) > maxQueued {
			return nil, errQueueFull
		}
		c.queue = append(c.queue, raw)
		c.queued += len(raw)
	}
}

// CallMethod calls a method with args.
func (c *Conn) CallMethod(dest, path, iface, member string, args ...Value) (*Message, error) {
	return c.Call(&Message{Destination: dest, Path: path, Interface: iface, Member: member, Body: args})
}

// CallDBus calls a method of the bus itself.
func (c *Conn) CallDBus(member string, args ...Value) (*Message, error) {
	return c.CallMethod("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", member, args...)
}
