package busctl

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// allocated is how many bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func hostileReply(t *testing.T, body ...Value) []byte {
	t.Helper()
	m := &Message{Type: TypeMethodReturn, Serial: 9, ReplySerial: 1, Body: body}
	raw, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A bus peer's large byte array costs its reader about its own size: it
// is kept as bytes (once a Value per byte, 56 times its size), and each
// of busctl's output forms is written as it is formatted, not held.
func TestDecodeLargeByteArrayBounded(t *testing.T) {
	const n = 16 << 20
	payload := bytes.Repeat([]byte{'A'}, n)
	raw := hostileReply(t, Value{Sig: "ay", V: payload})
	var m *Message
	var err error
	if a := allocated(func() { m, err = ParseMessage(raw) }); a > 1<<20 {
		t.Errorf("decoding a %d-byte ay allocated %d bytes", n, a)
	}
	if err != nil || len(m.Body) != 1 || !bytes.Equal(m.Body[0].V.([]byte), payload) {
		t.Fatalf("decoded %v", err)
	}
	// Printing is checked on a quarter of it, to stay quick.
	body := []Value{{Sig: "ay", V: payload[:n/4]}}
	tests := []struct {
		name string
		opt  Options
	}{{"cmdline", Options{}}, {"verbose", Options{Verbose: true}}, {"json short", Options{JSON: "short"}}, {"json pretty", Options{JSON: "pretty"}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var size countWriter
			e := &Env{Out: &size, Opt: tt.opt}
			if a := allocated(func() { err = printReply(e, body) }); err != nil || a > 1<<20 {
				t.Errorf("printing a %d-byte ay allocated %d bytes (%v)", n/4, a, err)
			}
			if size < n/2 {
				t.Errorf("printed only %d bytes", size)
			}
		})
	}
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// Arrays of other small elements are decoded up to maxDecoded and then
// refused with a clear error, at a bounded cost.
func TestDecodeTooManyValues(t *testing.T) {
	// 16 MiB of zeros is, as each of these, an array of the smallest
	// elements: 0 (au), false (ab), empty strings (as) and signatures (ag).
	for _, sig := range []string{"au", "ab", "as", "ag"} {
		t.Run(sig, func(t *testing.T) {
			raw := rawReply(t, sig, 16<<20)
			var err error
			if a := allocated(func() { _, err = ParseMessage(raw) }); a > maxDecoded+1<<20 {
				t.Errorf("a %d-byte %s allocated %d bytes", len(raw), sig, a)
			}
			if !errors.Is(err, errTooComplex) || !strings.Contains(err.Error(), "more values than capsulectl decodes") {
				t.Errorf("got %v", err)
			}
		})
	}
	// What a real bus sends is well within the budget.
	if _, err := ParseMessage(hostileReply(t, Value{Sig: "as", Elems: repeatValue(Str("org.freedesktop.systemd1"), 50000)})); err != nil {
		t.Error(err)
	}
}

// rawReply is a reply of one array of signature sig whose n bytes of
// elements are all zero.
func rawReply(t *testing.T, sig string, n int) []byte {
	t.Helper()
	m := &Message{Type: TypeMethodReturn, Serial: 9, ReplySerial: 1, Body: []Value{{Sig: "ay", V: make([]byte, n)}}}
	raw, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// Same layout as an "ay" of n bytes (length, then the elements, all
	// 4-aligned here): only the signature header field differs.
	i := bytes.Index(raw, []byte("\x08\x01g\x00\x02ay\x00"))
	if i < 0 {
		t.Fatal("no signature field")
	}
	if len(sig) != 2 {
		t.Fatal("rawReply takes two-character signatures")
	}
	copy(raw[i+5:], sig)
	return raw
}

func repeatValue(v Value, n int) []Value {
	l := make([]Value, n)
	for i := range l {
		l[i] = v
	}
	return l
}

// pairConn is a Conn to the other end of a socket pair.
func pairConn(t *testing.T) (*Conn, *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		t.Fatal(err)
	}
	c := &Conn{f: os.NewFile(uintptr(fds[0]), "bus"), Timeout: 10 * time.Second}
	c.r = bufio.NewReaderSize(c.f, 64<<10)
	peer := os.NewFile(uintptr(fds[1]), "peer")
	t.Cleanup(func() { c.Close(); peer.Close() })
	return c, peer
}

// hostilePeer reads the call, then sends msgs.
func hostilePeer(t *testing.T, peer *os.File, msgs ...[]byte) {
	go func() {
		if _, err := ReadMessage(peer); err != nil {
			return
		}
		for _, m := range msgs {
			if _, err := peer.Write(m); err != nil {
				return
			}
		}
	}()
}

func signalRaw(t *testing.T, body ...Value) []byte {
	t.Helper()
	m := &Message{Type: TypeSignal, Serial: 5, Path: "/x", Interface: "org.x", Member: "S", Body: body}
	raw, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Messages that come before a reply are kept undecoded, up to maxQueued
// bytes; a bus that floods instead of replying fails the call.
func TestCallQueueBounded(t *testing.T) {
	t.Run("flood", func(t *testing.T) {
		c, peer := pairConn(t)
		sig := signalRaw(t, Value{Sig: "au", Elems: repeatValue(U32(1), 1<<18)}) // 1 MiB of tiny values
		var flood [][]byte
		for i := 0; i < 40; i++ {
			flood = append(flood, sig)
		}
		hostilePeer(t, peer, append(flood, hostileReply(t, Str("late")))...)
		var err error
		if a := allocated(func() { _, err = c.CallDBus("GetId") }); a > 2*maxQueued+8<<20 {
			t.Errorf("call under a flood allocated %d bytes", a)
		}
		if !errors.Is(err, errQueueFull) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("signals before the reply are kept", func(t *testing.T) {
		c, peer := pairConn(t)
		hostilePeer(t, peer, signalRaw(t, Str("one")), signalRaw(t, Str("two")), hostileReply(t, Str("id")))
		r, err := c.CallDBus("GetId")
		if err != nil || r.Body[0].String() != "id" {
			t.Fatalf("reply %v %v", r, err)
		}
		for _, want := range []string{"one", "two"} {
			m, err := c.Next(time.Now().Add(time.Second))
			if err != nil || m.Member != "S" || m.Body[0].String() != want {
				t.Errorf("queued %v %v, want %s", m, err, want)
			}
		}
		if c.queued != 0 {
			t.Errorf("queued bytes left: %d", c.queued)
		}
	})
}
