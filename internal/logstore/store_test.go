package logstore

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func messages(lines []Line) string {
	var s []string
	for _, l := range lines {
		s = append(s, l.Message)
	}
	return strings.Join(s, ",")
}

func openT(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts, func(err error) { t.Errorf("store warned: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// What a store held is there after it is opened again, with every field.
func TestStoreSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{})
	at := time.UnixMicro(1700000000123456)
	want := Line{Time: at, Unit: "a.service", Ident: "sh", PID: 42, Priority: 3, Invoc: "0123abcd",
		Message: "multi\nline \x1b[31m"}
	s.Append(want)
	s.Append(Line{Time: at.Add(time.Second), Unit: "a.service", Ident: "capsuled", PID: 1, Priority: 6,
		Manager: true, Message: "Started a.service."})
	s.Close()
	s = openT(t, dir, Options{})
	got, _, err := s.Read(NewQuery(-1))
	if err != nil || len(got) != 2 {
		t.Fatalf("read after reopen: %v %v", got, err)
	}
	if !got[0].Time.Equal(want.Time) || got[0] != (Line{Time: got[0].Time, Unit: want.Unit, Ident: want.Ident,
		PID: want.PID, Priority: want.Priority, Invoc: want.Invoc, Message: want.Message}) {
		t.Errorf("got %+v, want %+v", got[0], want)
	}
	if !got[1].Manager || got[1].Unit != "a.service" {
		t.Errorf("manager line lost its unit: %+v", got[1])
	}
}

// Files rotate at the size limit and the oldest go, so the store stays
// within MaxFiles*MaxFileSize; the newest lines are all there.
func TestStoreRotates(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{MaxFileSize: 4096, MaxFiles: 3})
	for i := range 1000 {
		s.Append(Line{Time: time.UnixMicro(int64(i)), Unit: "r.service", Priority: 6, Message: fmt.Sprintf("line %04d", i)})
	}
	ents, _ := os.ReadDir(dir)
	var total int64
	for _, e := range ents {
		fi, _ := e.Info()
		total += fi.Size()
		if fi.Size() > 4096 {
			t.Errorf("%s has %d bytes, over the limit", e.Name(), fi.Size())
		}
	}
	if len(ents) != 3 {
		t.Errorf("%d files, want 3", len(ents))
	}
	got, _, err := s.Read(NewQuery(-1))
	if err != nil || len(got) == 0 || got[len(got)-1].Message != "line 0999" {
		t.Fatalf("read: %d lines, %v", len(got), err)
	}
	for i := 1; i < len(got); i++ {
		if !got[i].Time.After(got[i-1].Time) {
			t.Fatalf("out of order at %d: %v %v", i, got[i-1], got[i])
		}
	}
	if int64(len(got))*int64(len(`{"__REALTIME_TIMESTAMP":"999","PRIORITY":"6","_SYSTEMD_UNIT":"r.service","MESSAGE":"line 0999"}`)+1) > total+int64(len(got)) {
		t.Errorf("read %d lines from %d bytes", len(got), total)
	}
}

func TestStoreQuery(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	base := time.UnixMicro(1700000000000000)
	add := func(sec int, unit string, prio int, inv, msg string) {
		s.Append(Line{Time: base.Add(time.Duration(sec) * time.Second), Unit: unit, Priority: prio, Invoc: inv, Message: msg})
	}
	add(0, "a.service", 6, "i1", "a0")
	add(1, "b.service", 3, "j1", "b1")
	add(2, "a.service", 4, "i1", "a2")
	add(3, "a.service", 6, "i2", "a3")
	add(4, "", 6, "", "m4")
	add(5, "a.service.x", 6, "", "other5") // a name containing a.service
	tests := []struct {
		name string
		q    Query
		want string
	}{
		{"all", NewQuery(-1), "a0,b1,a2,a3,m4,other5"},
		{"newest 2", NewQuery(2), "m4,other5"},
		{"unit", Query{Units: []string{"a.service"}, N: -1, MaxPriority: 7}, "a0,a2,a3"},
		{"unit newest", Query{Units: []string{"a.service"}, N: 1, MaxPriority: 7}, "a3"},
		{"two units", Query{Units: []string{"a.service", "b.service"}, N: -1, MaxPriority: 7}, "a0,b1,a2,a3"},
		{"priority", Query{N: -1, MaxPriority: 4}, "b1,a2"},
		{"since", Query{N: -1, MaxPriority: 7, Since: base.Add(3 * time.Second)}, "a3,m4,other5"},
		{"until", Query{N: -1, MaxPriority: 7, Until: base.Add(time.Second)}, "a0,b1"},
		{"invocation", Query{N: -1, MaxPriority: 7, Invocation: "i1"}, "a0,a2"},
		{"none", Query{Units: []string{"c.service"}, N: -1, MaxPriority: 7}, ""},
		// journalctl -n 0: no old line (-f then shows only new ones).
		{"newest 0", NewQuery(0), ""},
		{"unit newest 0", Query{Units: []string{"a.service"}, N: 0, MaxPriority: 7}, ""},
		// journalctl -u takes patterns (fnmatch on the unit's name).
		{"pattern", Query{Units: []string{"a.*"}, N: -1, MaxPriority: 7}, "a0,a2,a3,other5"},
		{"pattern and name", Query{Units: []string{"b.service", "a.s?rvice"}, N: -1, MaxPriority: 7}, "a0,b1,a2,a3"},
		{"pattern class", Query{Units: []string{"[b-z].service"}, N: 2, MaxPriority: 7}, "b1"},
	}
	for _, tt := range tests {
		got, _, err := s.Read(tt.q)
		if err != nil || messages(got) != tt.want {
			t.Errorf("%s: got %q (%v), want %q", tt.name, messages(got), err, tt.want)
		}
	}
}

// A capsule can write its own log files: whatever it puts there, the
// reader neither fails nor shows anything but well-formed records.
func TestStoreReadsHostileFiles(t *testing.T) {
	good := `{"__REALTIME_TIMESTAMP":"5","PRIORITY":"6","MESSAGE":"good"}`
	tests := []struct {
		name, content, want string
	}{
		{"truncated last line", good + "\n" + `{"__REALTIME_TIMESTAMP":"6","PRI`, "good"},
		{"no newline at all", good, ""},
		{"garbage lines", "\x00\x00\x00\n" + good + "\nnot json\n{}\n[1,2]\n", "good"},
		{"bad fields", `{"__REALTIME_TIMESTAMP":"x","PRIORITY":"6","MESSAGE":"t"}` + "\n" +
			`{"__REALTIME_TIMESTAMP":"1","PRIORITY":"9","MESSAGE":"p"}` + "\n" +
			`{"__REALTIME_TIMESTAMP":"1","PRIORITY":"6","_PID":"-1","MESSAGE":"pid"}` + "\n" + good + "\n", "good"},
		{"huge line", good + "\n" + strings.Repeat("y", 3<<20) + "\n" + good + "\n", "good,good"},
		{"huge unterminated", good + "\n" + strings.Repeat("z", 3<<20), "good"},
		{"long valid line", `{"__REALTIME_TIMESTAMP":"5","PRIORITY":"6","MESSAGE":"` + strings.Repeat("v", 200<<10) + "\"}\n", strings.Repeat("v", 200<<10)},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, fileName), []byte(tt.content), 0o600); err != nil {
			t.Fatal(err)
		}
		s := openT(t, dir, Options{})
		got, _, err := s.Read(NewQuery(-1))
		if err != nil || messages(got) != tt.want {
			t.Errorf("%s: got %.40q (%v), want %.40q", tt.name, messages(got), err, tt.want)
		}
	}
	// A FIFO or symbolic link in the file's place is not opened.
	for _, kind := range []string{"fifo", "symlink"} {
		dir := t.TempDir()
		p := filepath.Join(dir, fileName)
		if kind == "fifo" {
			if err := mkfifo(p); err != nil {
				t.Fatal(err)
			}
		} else if err := os.Symlink("/etc/passwd", p); err != nil {
			t.Fatal(err)
		}
		if s, err := Open(dir, Options{}, nil); err == nil {
			s.Close()
			t.Errorf("%s in the log's place was opened", kind)
		}
	}
}

// Lines reach followers in order, whichever goroutine waits.
func TestStoreFollow(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	s.Append(Line{Time: time.Now(), Unit: "f.service", Priority: 6, Message: "one"})
	q := Query{Units: []string{"f.service"}, N: -1, MaxPriority: 7}
	got, pos, _ := s.Read(q)
	if messages(got) != "one" {
		t.Fatalf("read %q", messages(got))
	}
	s.Append(Line{Time: time.Now(), Unit: "g.service", Priority: 6, Message: "other"})
	s.Append(Line{Time: time.Now(), Unit: "f.service", Priority: 6, Message: "two"})
	<-pos.Added
	got, _ = s.Since(pos, q)
	if messages(got) != "two" {
		t.Errorf("followed %q, want two", messages(got))
	}
}

// The journal gets native protocol datagrams; a value with a newline is
// sent with its length.
func TestJournalForward(t *testing.T) {
	path := filepath.Join(t.TempDir(), "socket")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	j, err := DialJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	s := openT(t, "", Options{Forward: j.Send})
	s.Append(Line{Time: time.Now(), Unit: "j.service", Ident: "sh", PID: 7, Priority: 3, Invoc: "ab", Message: "two\nlines"})
	s.Append(Line{Time: time.Now(), Unit: "j.service", Ident: "capsuled", Priority: 6, Manager: true, Message: "Started."})
	buf := make([]byte, 4096)
	l.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := l.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	want := "MESSAGE\n\x09\x00\x00\x00\x00\x00\x00\x00two\nlines\nPRIORITY=3\nSYSLOG_IDENTIFIER=sh\nSYSLOG_PID=7\n" +
		"CAPSULED_UNIT=j.service\nOBJECT_SYSTEMD_INVOCATION_ID=ab\n"
	if got := string(buf[:n]); got != want {
		t.Errorf("datagram %q, want %q", got, want)
	}
	n, _ = l.Read(buf)
	if !bytes.Contains(buf[:n], []byte("\nOBJECT_SYSTEMD_UNIT=j.service\n")) {
		t.Errorf("manager line: %q", buf[:n])
	}
}

// Lines another writer (the capsule) appends to the file being written
// shift the store's later lines; they are still found, the other's not.
func TestStoreAfterForeignAppend(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{})
	s.Append(Line{Time: time.UnixMicro(1), Priority: 6, Message: "before"})
	f, err := os.OpenFile(filepath.Join(dir, fileName), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(strings.Repeat("forged\n", 20000) + "unfinished")
	f.Close()
	s.Append(Line{Time: time.UnixMicro(2), Priority: 6, Message: "after"})
	got, _, err := s.Read(NewQuery(-1))
	if err != nil || messages(got) != "before,after" {
		t.Errorf("got %q (%v)", messages(got), err)
	}
	// A FIFO in a rotated file's place is left out, not waited on.
	if err := mkfifo(filepath.Join(dir, "capsuled.1.jsonl")); err != nil {
		t.Fatal(err)
	}
	s.warn = func(error) {}
	if got, _, err = s.Read(NewQuery(-1)); err != nil || messages(got) != "before,after" {
		t.Errorf("with a FIFO: got %q (%v)", messages(got), err)
	}
}

// TestConcurrentAppends: lines appended by many goroutines at once (their
// writes grouped) all reach the file once, each goroutine's in order, also
// across rotations, and each is on disk when its Append returns.
func TestConcurrentAppends(t *testing.T) {
	tests := []struct {
		name    string
		maxSize int64
	}{
		{"one file", 64 << 20},
		{"rotating", 64 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{MaxFileSize: tt.maxSize, MaxFiles: 100}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			const writers, each = 8, 300
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						unit := fmt.Sprintf("w%d.service", w)
						s.Append(Line{Time: time.Now(), Unit: unit, Priority: 6, Message: strconv.Itoa(i)})
						if w == 0 && i%50 == 0 {
							q := NewQuery(1)
							q.Units = []string{unit}
							got, _, err := s.Read(q)
							if err != nil || len(got) != 1 || got[0].Message != strconv.Itoa(i) {
								t.Errorf("right after appending %d: read %v, %v", i, got, err)
							}
						}
					}
				}()
			}
			wg.Wait()
			got, _, err := s.Read(NewQuery(-1))
			if err != nil {
				t.Fatal(err)
			}
			next := map[string]int{}
			for _, l := range got {
				if l.Message != strconv.Itoa(next[l.Unit]) {
					t.Fatalf("%s: line %q, want %d", l.Unit, l.Message, next[l.Unit])
				}
				next[l.Unit]++
			}
			if len(got) != writers*each {
				t.Errorf("%d lines on disk, want %d", len(got), writers*each)
			}
		})
	}
}
