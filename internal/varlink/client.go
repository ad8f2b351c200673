package varlink

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
)

// Client is a connection to a varlink server. Calls are sequential.
type Client struct {
	c *conn
}

// Dial connects to the socket at path.
func Dial(path string) (*Client, error) {
	uc, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	return &Client{c: newConn(uc)}, nil
}

// NewClient wraps an already connected socket.
func NewClient(uc *net.UnixConn) *Client { return &Client{c: newConn(uc)} }

// Close closes the connection.
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
	if err := cl.c.write(&Message{Method: method, Parameters: p, More: more}, files); err != nil {
		return fmt.Errorf("send %s: %w", method, err)
	}
	for {
		m, fds, err := cl.c.read()
		closeAll(fds)
		if err != nil {
			return fmt.Errorf("receive reply to %s: %w", method, err)
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
			return errors.New("varlink: server continued a call without more")
		}
	}
}
