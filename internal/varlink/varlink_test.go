package varlink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// serve runs s on a socket in a temp dir until the test ends and returns
// the socket path and a function that closes the listener and returns
// Serve's result.
func serve(t *testing.T, s *Server) (string, func() error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background(), l) }()
	var result error
	stopped := false
	stop := func() error {
		if stopped {
			return result
		}
		stopped = true
		l.Close()
		select {
		case result = <-done:
		case <-time.After(2 * time.Second):
			t.Fatal("Serve did not return after the listener was closed")
		}
		s.Wait()
		return result
	}
	t.Cleanup(func() { stop() })
	return path, stop
}

func dial(t *testing.T, path string) *Client {
	t.Helper()
	c, err := Dial(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type echoIn struct {
	Text string `json:"text"`
}

type echoOut struct {
	Text string `json:"text"`
	PID  int    `json:"pid"`
	UID  uint32 `json:"uid"`
}

// handler serves the test methods.
func handler(ctx context.Context, c *Call) {
	switch c.Method {
	case "org.example.Echo":
		var in echoIn
		if err := c.Decode(&in); err != nil {
			c.ReplyError("org.varlink.service.InvalidParameter", err.Error())
			return
		}
		c.Reply(echoOut{Text: strings.ToUpper(in.Text), PID: c.Peer.PID, UID: c.Peer.UID})
	case "org.example.Fail":
		c.ReplyError("org.example.Failed", "it broke")
	case "org.example.FailBare":
		c.ReplyError("org.example.Failed", "")
	case "org.example.Count":
		for i := 0; i < 3; i++ {
			if err := c.Continue(map[string]int{"n": i}); err != nil {
				return
			}
		}
		c.Reply(map[string]int{"n": 3})
	case "org.example.Write":
		if len(c.Files) != 1 {
			c.ReplyError("org.example.Files", fmt.Sprintf("got %d files", len(c.Files)))
			return
		}
		_, err := c.Files[0].WriteString("hello through the socket")
		c.Files[0].Close()
		if err != nil {
			c.ReplyError("org.example.Files", err.Error())
			return
		}
		c.Reply(struct{}{})
	case "org.example.Twice":
		c.Reply(struct{}{})
		if err := c.Reply(struct{}{}); err == nil {
			panic("second Reply did not fail")
		}
	case "org.example.Silent":
		// no reply
	}
}

func TestCall(t *testing.T) {
	path, _ := serve(t, &Server{Handler: handler})
	c := dial(t, path)
	for _, text := range []string{"hello", "", "ünïcode \x00 nul"} {
		var out echoOut
		if err := c.Call("org.example.Echo", echoIn{Text: text}, &out); err != nil {
			t.Fatalf("Call: %v", err)
		}
		if out.Text != strings.ToUpper(text) {
			t.Errorf("reply %q, want %q", out.Text, strings.ToUpper(text))
		}
		if out.PID != os.Getpid() || out.UID != uint32(os.Getuid()) {
			t.Errorf("peer pid %d uid %d, want %d %d", out.PID, out.UID, os.Getpid(), os.Getuid())
		}
	}
	// A nil out discards the reply.
	if err := c.Call("org.example.Echo", echoIn{Text: "x"}, nil); err != nil {
		t.Errorf("Call with nil out: %v", err)
	}
	// Bad parameters come back as an error reply.
	err := c.Call("org.example.Echo", map[string]int{"text": 1}, nil)
	if !IsError(err, "org.varlink.service.InvalidParameter") || !strings.Contains(err.Error(), "org.example.Echo") {
		t.Errorf("bad parameters: %v", err)
	}
}

func TestErrorReply(t *testing.T) {
	path, _ := serve(t, &Server{Handler: handler})
	c := dial(t, path)
	err := c.Call("org.example.Fail", nil, nil)
	var ve *Error
	if !errors.As(err, &ve) || ve.Name != "org.example.Failed" || ve.Error() != "it broke" {
		t.Fatalf("got %#v, want *Error org.example.Failed \"it broke\"", err)
	}
	if !IsError(err, "org.example.Failed") || IsError(err, "org.example.Other") {
		t.Error("IsError does not match the name exactly")
	}
	if !IsError(fmt.Errorf("wrapped: %w", err), "org.example.Failed") {
		t.Error("IsError does not see through wrapping")
	}
	if IsError(nil, "org.example.Failed") || IsError(errors.New("org.example.Failed"), "org.example.Failed") {
		t.Error("IsError matched a non-varlink error")
	}
	// Without a message the name is the text.
	err = c.Call("org.example.FailBare", nil, nil)
	if err == nil || err.Error() != "org.example.Failed" {
		t.Errorf("bare error = %v", err)
	}
	// The connection stays usable after an error.
	if err := c.Call("org.example.Echo", echoIn{Text: "a"}, nil); err != nil {
		t.Errorf("call after error: %v", err)
	}
}

func TestCallMore(t *testing.T) {
	path, _ := serve(t, &Server{Handler: handler})
	c := dial(t, path)
	var ns []int
	var lasts []bool
	err := c.CallMore("org.example.Count", nil, func(p json.RawMessage, last bool) error {
		var r struct{ N int }
		if err := json.Unmarshal(p, &r); err != nil {
			return err
		}
		ns = append(ns, r.N)
		lasts = append(lasts, last)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ns, []int{0, 1, 2, 3}) || !reflect.DeepEqual(lasts, []bool{false, false, false, true}) {
		t.Errorf("replies %v last %v", ns, lasts)
	}

	// Without more, Continue sends nothing and Call sees the final reply.
	var r struct{ N int }
	if err := c.Call("org.example.Count", nil, &r); err != nil || r.N != 3 {
		t.Errorf("Call without more: %v %v", r, err)
	}

	// An error from fn ends the call with it.
	stop := errors.New("stop")
	err = c.CallMore("org.example.Count", nil, func(json.RawMessage, bool) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("fn error: %v", err)
	}
}

func TestDescriptorPassing(t *testing.T) {
	path, _ := serve(t, &Server{Handler: handler})
	c := dial(t, path)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	err = c.Call("org.example.Write", nil, nil, w)
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	r.SetReadDeadline(time.Now().Add(2 * time.Second))
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "hello through the socket" {
		t.Errorf("read %q, %v", b, err)
	}
	// A call without files sees none.
	if err := c.Call("org.example.Write", nil, nil); !IsError(err, "org.example.Files") {
		t.Errorf("call without files: %v", err)
	}
}

func TestAuthorizeRefuses(t *testing.T) {
	seen := make(chan Peer, 1)
	var called atomic.Bool
	path, _ := serve(t, &Server{
		Handler:   func(ctx context.Context, c *Call) { called.Store(true); handler(ctx, c) },
		Authorize: func(p Peer) error { seen <- p; return errors.New("permission denied: go away") },
	})
	c := dial(t, path)
	err := c.Call("org.example.Echo", echoIn{Text: "x"}, nil)
	if !IsError(err, "io.capsuled.Manager.PermissionDenied") || err.Error() != "permission denied: go away" {
		t.Fatalf("got %v, want PermissionDenied", err)
	}
	if p := <-seen; p.PID != os.Getpid() || p.UID != uint32(os.Getuid()) || p.GID != uint32(os.Getgid()) {
		t.Errorf("Authorize saw %+v", p)
	}
	if called.Load() {
		t.Error("handler ran for a refused peer")
	}
	// The server hangs up after refusing.
	if err := c.Call("org.example.Echo", echoIn{Text: "x"}, nil); err == nil {
		t.Error("second call on a refused connection succeeded")
	}
}

func TestAuthorizeAdmits(t *testing.T) {
	path, _ := serve(t, &Server{Handler: handler, Authorize: func(Peer) error { return nil }})
	if err := dial(t, path).Call("org.example.Echo", echoIn{Text: "x"}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestNoReply(t *testing.T) {
	path, _ := serve(t, &Server{Handler: handler})
	c := dial(t, path)
	for _, m := range []string{"org.example.Silent", "org.example.Unknown"} {
		err := c.Call(m, nil, nil)
		if !IsError(err, "org.varlink.service.MethodNotImplemented") || !strings.Contains(err.Error(), m) {
			t.Errorf("%s: %v", m, err)
		}
	}
	if err := c.Call("org.example.Twice", nil, nil); err != nil {
		t.Errorf("Twice: %v", err)
	}
	if err := c.Call("org.example.Echo", echoIn{Text: "x"}, nil); err != nil {
		t.Errorf("call after: %v", err)
	}
}

// rawConn dials path and returns a plain socket.
func rawConn(t *testing.T, path string) *net.UnixConn {
	t.Helper()
	uc, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { uc.Close() })
	uc.SetDeadline(time.Now().Add(2 * time.Second))
	return uc
}

func TestMalformedMessages(t *testing.T) {
	path, _ := serve(t, &Server{Handler: handler})
	for _, msg := range []string{"{not json\x00", "[1,2]\x00", "{}\x00", `{"parameters":{}}` + "\x00"} {
		uc := rawConn(t, path)
		if _, err := uc.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(uc)
		if err != nil || len(b) != 0 {
			t.Errorf("%q: read %q, %v; want the server to hang up", msg, b, err)
		}
	}
	// The server still works.
	if err := dial(t, path).Call("org.example.Echo", echoIn{Text: "x"}, nil); err != nil {
		t.Errorf("call after malformed input: %v", err)
	}
}

func TestRawProtocol(t *testing.T) {
	path, _ := serve(t, &Server{Handler: handler})
	uc := rawConn(t, path)
	// A oneway call gets no reply; two calls in one write are both served.
	in := `{"method":"org.example.Echo","parameters":{"text":"a"},"oneway":true}` + "\x00" +
		`{"method":"org.example.Echo","parameters":{"text":"b"}}` + "\x00"
	if _, err := uc.Write([]byte(in)); err != nil {
		t.Fatal(err)
	}
	cn := newConn(uc)
	m, _, err := cn.read()
	if err != nil {
		t.Fatal(err)
	}
	var out echoOut
	if err := json.Unmarshal(m.Parameters, &out); err != nil || out.Text != "B" || m.Continues || m.Error != "" {
		t.Errorf("reply %+v (%v), want text B", m, err)
	}
}

func TestShutdown(t *testing.T) {
	entered := make(chan struct{})
	cancelled := make(chan struct{})
	path, stop := serve(t, &Server{Handler: func(ctx context.Context, c *Call) {
		close(entered)
		select {
		case <-ctx.Done():
			close(cancelled)
		case <-time.After(5 * time.Second):
		}
		c.ReplyError("org.example.Gone", "shutting down")
	}})
	c := dial(t, path)
	callErr := make(chan error, 1)
	go func() { callErr <- c.Call("org.example.Block", nil, nil) }()
	select {
	case <-entered:
	case <-time.After(2 * time.Second):
		t.Fatal("handler not called")
	}
	if err := stop(); err != nil {
		t.Errorf("Serve returned %v, want nil", err)
	}
	select {
	case <-cancelled:
	default:
		t.Error("handler context not cancelled by shutdown")
	}
	select {
	case err := <-callErr:
		if err == nil {
			t.Error("call succeeded across shutdown")
		}
	case <-time.After(2 * time.Second):
		t.Error("client call did not end after shutdown")
	}
	if _, err := Dial(path, 0); err == nil {
		t.Error("Dial succeeded after shutdown")
	}
}

// The Handler contract says ctx is cancelled when the peer hangs up.
func TestHangupCancelsHandler(t *testing.T) {
	entered := make(chan struct{})
	cancelled := make(chan struct{})
	path, _ := serve(t, &Server{Handler: func(ctx context.Context, c *Call) {
		close(entered)
		select {
		case <-ctx.Done():
			close(cancelled)
		case <-time.After(2 * time.Second):
		}
	}})
	uc := rawConn(t, path)
	uc.Write([]byte(`{"method":"org.example.Block"}` + "\x00"))
	<-entered
	uc.Close()
	select {
	case <-cancelled:
	case <-time.After(time.Second):
		t.Error("handler context not cancelled after the peer hung up")
	}
}

func TestCallDecode(t *testing.T) {
	var v struct{ A int }
	if err := (&Call{Method: "m"}).Decode(&v); err != nil {
		t.Errorf("empty parameters: %v", err)
	}
	if err := (&Call{Method: "m", Parameters: json.RawMessage(`{"A":2}`)}).Decode(&v); err != nil || v.A != 2 {
		t.Errorf("decode: %v %v", v, err)
	}
	err := (&Call{Method: "org.example.M", Parameters: json.RawMessage(`{"A":"x"}`)}).Decode(&v)
	if err == nil || !strings.Contains(err.Error(), "invalid parameters for org.example.M") {
		t.Errorf("bad parameters: %v", err)
	}
}

// TestConnsChanged: the server reports the open connections as clients
// connect and hang up.
func TestConnsChanged(t *testing.T) {
	counts := make(chan int, 8)
	path, _ := serve(t, &Server{Handler: handler, ConnsChanged: func(n int) { counts <- n }})
	next := func() int {
		select {
		case n := <-counts:
			return n
		case <-time.After(5 * time.Second):
			t.Fatal("no report of the open connections")
			return -1
		}
	}
	a := dial(t, path)
	if n := next(); n != 1 {
		t.Errorf("after the first connection: %d open", n)
	}
	b := dial(t, path)
	if n := next(); n != 2 {
		t.Errorf("after the second connection: %d open", n)
	}
	a.Close()
	if n := next(); n != 1 {
		t.Errorf("after the first hung up: %d open", n)
	}
	b.Close()
	if n := next(); n != 0 {
		t.Errorf("after both hung up: %d open", n)
	}
}
