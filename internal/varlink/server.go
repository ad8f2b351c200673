package varlink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Peer is the identity of a connected client, taken from SO_PEERCRED.
type Peer struct {
	PID      int
	UID, GID uint32
}

// Call is one method call received by a Server.
type Call struct {
	Method     string
	Parameters json.RawMessage
	More       bool
	Oneway     bool
	Files      []*os.File // descriptors passed with the call; the handler owns them
	Peer       Peer

	conn    *conn
	mu      sync.Mutex // guards replied against the heartbeat sender
	replied bool
}

// Decode unmarshals the call parameters into v.
func (c *Call) Decode(v any) error {
	if len(c.Parameters) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.Parameters, v); err != nil {
		return fmt.Errorf("invalid parameters for %s: %w", c.Method, err)
	}
	return nil
}

// Reply sends the final reply.
func (c *Call) Reply(params any) error { return c.send(params, false) }

// Continue sends a reply that is followed by more; only valid when More is set.
func (c *Call) Continue(params any) error {
	if !c.More {
		return nil
	}
	return c.send(params, true)
}

func (c *Call) send(params any, continues bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.replied {
		return errors.New("varlink: reply after final reply")
	}
	if !continues {
		c.replied = true
	}
	if c.Oneway {
		return nil
	}
	p, err := json.Marshal(params)
	if err != nil {
		return err
	}
	return c.conn.write(&Message{Parameters: p, Continues: continues}, nil)
}

// ReplyError sends an error reply with a human readable message.
func (c *Call) ReplyError(name, message string) error {
	return c.ReplyErrorWith(name, map[string]string{"message": message})
}

// ReplyErrorWith sends an error reply with the error's own parameters,
// which should include a "message".
func (c *Call) ReplyErrorWith(name string, params any) error {
	p, err := json.Marshal(params)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.replied {
		return nil
	}
	c.replied = true
	if c.Oneway {
		return nil
	}
	return c.conn.write(&Message{Error: name, Parameters: p}, nil)
}

func (c *Call) isReplied() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.replied
}

// HeartbeatInterval is how often a server tells a client that asked for
// it that a call is still being worked on (a job waiting for a slow start,
// run --wait, logs --follow). Clients time out after several intervals of
// silence.
const HeartbeatInterval = 5 * time.Second

// beat sends heartbeats every interval until stop is closed or the final
// reply has gone out.
func (c *Call) beat(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		c.mu.Lock()
		var err error
		if !c.replied {
			err = c.conn.write(&Message{Heartbeat: true}, nil)
		}
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Handler serves calls. It runs on the connection's goroutine and may block;
// ctx is cancelled when the server shuts down or the peer hangs up.
type Handler func(ctx context.Context, c *Call)

// Server accepts connections on a listener and dispatches calls.
type Server struct {
	Handler Handler
	// Authorize decides whether a peer may talk to the server at all.
	Authorize func(Peer) error
	// Heartbeat overrides HeartbeatInterval (for tests).
	Heartbeat time.Duration
	// ConnsChanged, if set, is told how many connections are open after
	// each one is accepted or closed.
	ConnsChanged func(open int)

	mu    sync.Mutex
	conns map[*net.UnixConn]struct{}
	wg    sync.WaitGroup
}

// Serve accepts connections until the listener is closed.
func (s *Server) Serve(ctx context.Context, l *net.UnixListener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				s.closeConns()
				return nil
			}
			return err
		}
		s.track(c, true)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.track(c, false)
			s.serveConn(ctx, c)
		}()
	}
}

// Wait blocks until all connection goroutines have returned.
func (s *Server) Wait() { s.wg.Wait() }

func (s *Server) track(c *net.UnixConn, add bool) {
	s.mu.Lock()
	if s.conns == nil {
		s.conns = map[*net.UnixConn]struct{}{}
	}
	if add {
		s.conns[c] = struct{}{}
	} else {
		delete(s.conns, c)
		c.Close()
	}
	n := len(s.conns)
	s.mu.Unlock()
	if s.ConnsChanged != nil {
		s.ConnsChanged(n)
	}
}

func (s *Server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

func peerOf(c *net.UnixConn) (Peer, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return Peer{}, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return Peer{}, err
	}
	if cerr != nil {
		return Peer{}, cerr
	}
	return Peer{PID: int(cred.Pid), UID: cred.Uid, GID: cred.Gid}, nil
}

func (s *Server) serveConn(ctx context.Context, uc *net.UnixConn) {
	peer, err := peerOf(uc)
	if err != nil {
		return
	}
	cn := newConn(uc)
	if s.Authorize != nil {
		if err := s.Authorize(peer); err != nil {
			// Answer the first call so the client sees why it was refused.
			if m, fds, rerr := cn.read(); rerr == nil {
				closeAll(fds)
				c := &Call{Method: m.Method, conn: cn}
				c.ReplyError("io.capsuled.Manager.PermissionDenied", err.Error())
			}
			return
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for {
		m, fds, err := cn.read()
		if err != nil {
			return
		}
		if m.Method == "" {
			closeAll(fds)
			return
		}
		c := &Call{Method: m.Method, Parameters: m.Parameters, More: m.More, Oneway: m.Oneway,
			Files: fds, Peer: peer, conn: cn}
		hctx, hcancel := context.WithCancel(ctx)
		stop := cn.watch(hcancel)
		beatDone, beatStop := make(chan struct{}), make(chan struct{})
		if m.Heartbeat && !m.Oneway {
			interval := s.Heartbeat
			if interval <= 0 {
				interval = HeartbeatInterval
			}
			go func() { defer close(beatDone); c.beat(interval, beatStop) }()
		} else {
			close(beatDone)
		}
		s.Handler(hctx, c)
		close(beatStop)
		<-beatDone
		stop()
		hcancel()
		if !c.isReplied() {
			c.ReplyError("org.varlink.service.MethodNotImplemented", "method "+m.Method+" gave no reply")
		}
	}
}
