package varlink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// Client is a connection to a varlink server. Calls are sequential.
type Client struct {
	c *conn
	// Timeout bounds how long the server may stay silent: how long a
	// message may take to be sent, and how long the client waits for the
	// next one. Zero means no bound. Calls ask for heartbeats, so a server
	// that is busy on a long call keeps it alive.
	Timeout time.Duration
	// Name names the peer in errors ("capsule foo").
	Name string
}

// Dial connects to the socket at path, giving up after timeout (if not
// zero): a listener that never accepts leaves connect waiting once its
// backlog is full.
func Dial(path string, timeout time.Duration) (*Client, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(context.Background(), "unix", path)
	if err != nil {
		return nil, err
	}
	return &Client{c: newConn(c.(*net.UnixConn)), Timeout: timeout}, nil
}

// NewClient wraps an already connected socket.
func NewClient(uc *net.UnixConn) *Client { return &Client{c: newConn(uc)} }

// Conn is the connection's socket, for checks on the peer.
func (cl *Client) Conn() *net.UnixConn { return cl.c.c }

// Close closes the connection; a call in progress fails.
func (cl *Client) Close() error { return cl.c.c.Close() }

// Call invokes method with in as parameters and decodes the reply into out
// (which may be nil). Files are passed to the server with the call.
func (cl *Client) Call(method string, in, out any, files ...*os.File) error {
	return cl.call(method, in, false, files, func(p json.RawMessage, _ bool) error {
		if out == nil || len(p) == 0 {
			return nil
		}
		return json.Unmarshal(p, out)
	})
}

// CallMore invokes method with "more" set; fn sees every reply, and last is
// true for the final one.
func (cl *Client) CallMore(method string, in any, fn func(p json.RawMessage, last bool) error, files ...*os.File) error {
	return cl.call(method, in, true, files, fn)
}

func (cl *Client) call(method string, in any, more bool, files []*os.File, fn func(json.RawMessage, bool) error) error {
	p, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if cl.Timeout > 0 {
		cl.c.c.SetWriteDeadline(time.Now().Add(cl.Timeout))
	}
	if err := cl.c.write(&Message{Method: method, Parameters: p, More: more, Heartbeat: true}, files); err != nil {
		return cl.failed("send", method, err)
	}
	for {
		if cl.Timeout > 0 {
			cl.c.c.SetReadDeadline(time.Now().Add(cl.Timeout))
		}
		m, fds, err := cl.c.read()
		closeAll(fds)
		if err != nil {
			return cl.failed("receive reply to", method, err)
		}
		if m.Heartbeat && m.Method == "" && m.Error == "" && len(m.Parameters) == 0 && !m.Continues {
			continue
		}
		if m.Error != "" {
			return &Error{Name: m.Error, Parameters: m.Parameters}
		}
		if err := fn(m.Parameters, !m.Continues); err != nil {
			return err
		}
		if !m.Continues {
			return nil
		}
		if !more {
			return fmt.Errorf("%s: server continued a call without more", cl.peer())
		}
	}
}

func (cl *Client) peer() string {
	if cl.Name != "" {
		return cl.Name
	}
	return "varlink server"
}

func (cl *Client) failed(what, method string, err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s sent nothing for %s: %s %s timed out", cl.peer(), cl.Timeout, what, method)
	}
	return fmt.Errorf("%s: %s %s: %w", cl.peer(), what, method, err)
}
