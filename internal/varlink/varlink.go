// Package varlink implements the varlink wire protocol (NUL-terminated JSON
// messages over a Unix stream socket) with two extensions the managers need:
// file descriptors may ride along with a call as SCM_RIGHTS, so a client can
// hand pipes or a terminal to a command it starts; and a call may ask for
// heartbeats, so a client can bound a peer's silence without limiting how
// long a call (a job, run --wait, logs --follow) may take. Messages are
// limited to MaxMessage bytes.
package varlink

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/escape"
)

// maxFDs bounds how many descriptors one message may carry.
const maxFDs = 16

// MaxMessage bounds the size of one message. The largest honest reply (a
// list of thousands of units, or a status with 500 log lines) is well below
// 1 MiB; a peer that sends more without a terminating NUL is cut off
// instead of being buffered without bound.
const MaxMessage = 16 << 20

// Message is one varlink message, call or reply.
type Message struct {
	Method     string          `json:"method,omitempty"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
	More       bool            `json:"more,omitempty"`
	Oneway     bool            `json:"oneway,omitempty"`
	Continues  bool            `json:"continues,omitempty"`
	Error      string          `json:"error,omitempty"`
	// Heartbeat is an extension: in a call it asks the server to send
	// heartbeat messages while the call runs; a message with it set and
	// nothing else only says the server is still working on the call.
	Heartbeat bool `json:"heartbeat,omitempty"`
}

// Error is a varlink error reply.
type Error struct {
	Name       string
	Parameters json.RawMessage
}

// Error returns the peer's message (or the error name), escaped: the peer
// may be a capsule's manager, which the capsule controls.
func (e *Error) Error() string {
	var p struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(e.Parameters, &p) == nil && p.Message != "" {
		return escape.Text(p.Message)
	}
	return escape.Text(e.Name)
}

// IsError reports whether err is a varlink error with the given name.
func IsError(err error, name string) bool {
	var e *Error
	return errors.As(err, &e) && e.Name == name
}

var errTooLarge = fmt.Errorf("message exceeds %d MiB (or carries more than %d descriptors)", MaxMessage>>20, maxFDs)

// conn frames messages on a Unix socket and collects passed descriptors.
type conn struct {
	c       *net.UnixConn
	buf     []byte
	fds     []*os.File
	writeMu sync.Mutex
}

func newConn(c *net.UnixConn) *conn { return &conn{c: c} }

// read returns the next message and the descriptors that arrived with it.
func (c *conn) read() (*Message, []*os.File, error) {
	for {
		if i := bytes.IndexByte(c.buf, 0); i >= 0 {
			var m Message
			err := json.Unmarshal(c.buf[:i], &m)
			c.buf = c.buf[i+1:]
			fds := c.fds
			c.fds = nil
			if err != nil {
				closeAll(fds)
				return nil, nil, fmt.Errorf("malformed varlink message: %w", err)
			}
			return &m, fds, nil
		}
		if len(c.buf) > MaxMessage || len(c.fds) > maxFDs {
			closeAll(c.fds)
			c.fds, c.buf = nil, nil
			return nil, nil, errTooLarge
		}
		// The buffer is live while the read waits, and a connection
		// mostly waits for its next call: a small one between messages
		// (a thousand connections at once held 64 MiB with 64 KiB each),
		// a large one to take the rest of a long message in few reads.
		size := 4096
		if len(c.buf) > 0 {
			size = 64 * 1024
		}
		p := make([]byte, size)
		oob := make([]byte, unix.CmsgSpace(4*maxFDs))
		n, oobn, _, _, err := c.c.ReadMsgUnix(p, oob)
		if oobn > 0 {
			c.fds = append(c.fds, parseRights(oob[:oobn])...)
		}
		if n == 0 && err == nil {
			err = errors.New("connection closed")
		}
		if err != nil {
			closeAll(c.fds)
			c.fds = nil
			return nil, nil, err
		}
		c.buf = append(c.buf, p[:n]...)
	}
}

func parseRights(oob []byte) []*os.File {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var files []*os.File
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
			files = append(files, os.NewFile(uintptr(fd), "passed-fd"))
		}
	}
	return files
}

// write sends one message, with descriptors attached to its first byte.
func (c *conn) write(m *Message, fds []*os.File) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	b = append(b, 0)
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if len(fds) > 0 {
		raw := make([]int, len(fds))
		for i, f := range fds {
			raw[i] = int(f.Fd())
		}
		n, _, err := c.c.WriteMsgUnix(b, unix.UnixRights(raw...), nil)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	for len(b) > 0 {
		n, err := c.c.Write(b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// watch reads ahead while a handler runs, so a peer that hangs up is
// noticed (cancel is called); whatever arrives is kept for the next read.
// The returned function stops watching and waits until it has.
func (c *conn) watch(cancel func()) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			p := make([]byte, 4096)
			oob := make([]byte, unix.CmsgSpace(4*maxFDs))
			n, oobn, _, _, err := c.c.ReadMsgUnix(p, oob)
			if oobn > 0 {
				c.fds = append(c.fds, parseRights(oob[:oobn])...)
			}
			if n > 0 {
				c.buf = append(c.buf, p[:n]...)
			}
			var ne net.Error
			switch {
			case len(c.buf) > MaxMessage || len(c.fds) > maxFDs:
				// Read no more; the next read reports the oversized message.
				cancel()
				return
			case err != nil && errors.As(err, &ne) && ne.Timeout():
				return
			case err != nil || n <= 0:
				cancel()
				return
			}
		}
	}()
	return func() {
		c.c.SetReadDeadline(time.Now())
		<-done
		c.c.SetReadDeadline(time.Time{})
	}
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}
