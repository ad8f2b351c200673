package cli

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestForwardInputDetach(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		detached bool
		fwd      string
	}{
		{"plain", "echo hi\n", false, "echo hi\n"},
		{"three in a row", "ab\x1d\x1d\x1dcd", true, "ab\x1d\x1d"},
		{"interrupted", "\x1d\x1dx\x1d", false, "\x1d\x1dx\x1d"},
		{"two only", "\x1d\x1d", false, "\x1d\x1d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if got := forwardInput(&out, strings.NewReader(tt.in)); got != tt.detached {
				t.Errorf("detached = %v, want %v", got, tt.detached)
			}
			if out.String() != tt.fwd {
				t.Errorf("forwarded %q, want %q", out.String(), tt.fwd)
			}
		})
	}
}

// slowReader yields its chunks with a pause between them.
type slowReader struct {
	chunks []string
	pause  time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.chunks) == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.pause)
	n := copy(p, s.chunks[0])
	s.chunks = s.chunks[1:]
	return n, nil
}

func TestForwardInputEscapesMustBeWithinASecond(t *testing.T) {
	var out bytes.Buffer
	r := &slowReader{chunks: []string{"\x1d", "\x1d", "\x1d"}, pause: 600 * time.Millisecond}
	if forwardInput(&out, r) {
		t.Error("^] three times over 1.2 s detached")
	}
}

func TestPipeRelayDoesNotWaitForHeldPipe(t *testing.T) {
	var out, errOut bytes.Buffer
	stdin, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	p, err := startPipeRelay(stdin, &out, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	// A leftover daemon keeps the write end of stdout: a copy we hold on.
	held, err := dupFile(p.remote[1])
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	held.Write([]byte("last words\n"))
	p.closeRemote()
	done := make(chan struct{})
	go func() { p.finish(); close(done) }()
	select {
	case <-done:
	case <-time.After(drainMax + 5*time.Second):
		t.Fatal("finish waited for a pipe a daemon holds")
	}
	if out.String() != "last words\n" {
		t.Errorf("relayed %q", out.String())
	}
	if _, err := held.Write([]byte("later\n")); err == nil {
		t.Error("the held pipe still has a reader after finish")
	}
}

func dupFile(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}
