package varlink

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer accepts one connection and lets behave talk on it raw, as a
// hostile peer that does not speak the protocol honestly would.
func fakeServer(t *testing.T, behave func(c *net.UnixConn)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.AcceptUnix()
		if err != nil {
			return
		}
		defer c.Close()
		behave(c)
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return path
}

func TestClientRefusesEndlessReply(t *testing.T) {
	stop := make(chan struct{})
	path := fakeServer(t, func(c *net.UnixConn) {
		chunk := []byte(`{"parameters":{"x":"` + strings.Repeat("A", 64*1024))
		for {
			select {
			case <-stop:
				return
			default:
			}
			c.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := c.Write(chunk); err != nil {
				return
			}
			chunk = chunk[len(chunk)-64*1024:]
		}
	})
	defer close(stop)
	cl, err := Dial(path, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	err = cl.Call("org.example.Echo", echoIn{}, nil)
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("endless reply gave %v, want a size error", err)
	}
}

func TestClientTimesOutOnSilence(t *testing.T) {
	path := fakeServer(t, func(c *net.UnixConn) {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		c.Read(make([]byte, 4096)) // read the call, never answer
		c.Read(make([]byte, 1))    // until the client hangs up
	})
	cl, err := Dial(path, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cl.Name = "the manager of capsule foo"
	err = cl.Call("org.example.Echo", echoIn{}, nil)
	if err == nil || !strings.Contains(err.Error(), "capsule foo") || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("silent server gave %v, want a timeout naming the peer", err)
	}
}

func TestHeartbeatsKeepLongCallAlive(t *testing.T) {
	// The client's timeout leaves room for a loaded machine's scheduling
	// delays (a test run beside others has seen 300 ms without a
	// heartbeat); the first call still lasts several timeouts, the second
	// one only shows the connection is still in step.
	var calls atomic.Int32
	s := &Server{Heartbeat: 10 * time.Millisecond, Handler: func(ctx context.Context, c *Call) {
		if calls.Add(1) == 1 {
			time.Sleep(3 * time.Second)
		}
		c.Reply(echoOut{Text: "late"})
	}}
	path, _ := serve(t, s)
	cl, err := Dial(path, 750*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out echoOut
	if err := cl.Call("org.example.Slow", echoIn{}, &out); err != nil {
		t.Fatalf("call with heartbeats failed: %v", err)
	}
	if out.Text != "late" {
		t.Errorf("got %+v", out)
	}
	// The connection stays usable: no heartbeat is taken as the next reply.
	if err := cl.Call("org.example.Slow", echoIn{}, &out); err != nil || out.Text != "late" {
		t.Fatalf("second call: %v %+v", err, out)
	}
}

func TestDialGivesUpOnFullBacklog(t *testing.T) {
	// A listener that never accepts: once its backlog is full, connect
	// would wait forever.
	path := filepath.Join(t.TempDir(), "sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := 0; i < 10000; i++ {
		cl, err := Dial(path, 100*time.Millisecond)
		if err != nil {
			return // gave up instead of hanging
		}
		held = append(held, cl.c.c)
	}
	t.Fatal("10000 connections to a listener that never accepts all succeeded")
}
