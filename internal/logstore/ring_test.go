package logstore

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRingTail(t *testing.T) {
	tests := []struct {
		size, add, tail int
		want            []string
	}{
		{size: 3, add: 2, tail: 10, want: []string{"0", "1"}},
		{size: 3, add: 5, tail: 10, want: []string{"2", "3", "4"}},
		{size: 3, add: 5, tail: 2, want: []string{"3", "4"}},
		{size: 3, add: 3, tail: -1, want: []string{"0", "1", "2"}},
		{size: 3, add: 0, tail: 5, want: nil},
	}
	for _, tt := range tests {
		r := NewRing(tt.size)
		for i := 0; i < tt.add; i++ {
			r.Add(Line{Message: string(rune('0' + i))})
		}
		var got []string
		for _, l := range r.Tail(tt.tail) {
			got = append(got, l.Message)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("size %d add %d tail %d: got %v, want %v", tt.size, tt.add, tt.tail, got, tt.want)
		}
	}
}

func TestCopySplitsLines(t *testing.T) {
	long := strings.Repeat("x", 5000)
	var got []string
	Copy(strings.NewReader("a\nb\n"+long+"\nlast"), func(s []string) { got = append(got, s...) })
	if len(got) != 5 || got[0] != "a" || got[1] != "b" || got[4] != "last" {
		t.Fatalf("unexpected lines: %d %q", len(got), got[:2])
	}
	if len(got[2])+len(got[3]) != 5000 {
		t.Fatalf("long line lost bytes: %d+%d", len(got[2]), len(got[3]))
	}
}

// chunks is a reader that returns its chunks one per Read, as a pipe
// returns what each write put in.
type chunks []string

func (c *chunks) Read(p []byte) (int, error) {
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(p, (*c)[0])
	(*c)[0] = (*c)[0][n:]
	if (*c)[0] == "" {
		*c = (*c)[1:]
	}
	return n, nil
}

// TestCopyBatches checks that the lines one read brings in are handed on
// together, and that none waits for a later read.
func TestCopyBatches(t *testing.T) {
	tests := []struct {
		name  string
		reads []string
		limit bool
		want  string
	}{
		{"one line a read", []string{"a\n", "b\n"}, false, "[[a] [b]]"},
		{"lines of one read together", []string{"a\nb\nc\n", "d\n"}, false, "[[a b c] [d]]"},
		{"partial line waits for its end", []string{"a\nb", "c\nd\n"}, false, "[[a] [bc d]]"},
		{"unterminated end", []string{"a\n", "b"}, false, "[[a] [b]]"},
		{"limited", []string{"a\nb\nc\n", "d\n"}, true, "[[a b c] [d]]"},
		{"limited, partial line", []string{"a\nb", "c\nd\n"}, true, "[[a] [bc d]]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][]string
			add := func(s []string) { got = append(got, slices.Clone(s)) }
			rd := chunks(slices.Clone(tt.reads))
			if tt.limit {
				CopyLimited(&rd, add, NewLimiter(time.Hour, 100, func(int) {}))
			} else {
				Copy(&rd, add)
			}
			if fmt.Sprint(got) != tt.want {
				t.Errorf("batches %q, want %s", got, tt.want)
			}
		})
	}
}

func TestRingSince(t *testing.T) {
	r := NewRing(3)
	r.Add(Line{Message: "a"})
	lines, seq, ch := r.Follow(10)
	if len(lines) != 1 || seq != 1 {
		t.Fatalf("Follow: %v %d", lines, seq)
	}
	select {
	case <-ch:
		t.Fatal("woken without a new line")
	default:
	}
	r.Add(Line{Message: "b"})
	<-ch // must be closed by Add
	lines, seq, _ = r.Since(seq)
	if len(lines) != 1 || lines[0].Message != "b" || seq != 2 {
		t.Fatalf("Since: %v %d", lines, seq)
	}
	// More lines than the ring holds since seq: only what is left comes.
	for _, m := range []string{"c", "d", "e", "f"} {
		r.Add(Line{Message: m})
	}
	lines, seq, _ = r.Since(seq)
	if len(lines) != 3 || lines[0].Message != "d" || seq != 6 {
		t.Fatalf("Since after overflow: %v %d", lines, seq)
	}
}

func TestRingClear(t *testing.T) {
	tests := []struct {
		size, add, want int
	}{
		{size: 3, add: 0, want: 0},
		{size: 3, add: 2, want: 2},
		{size: 3, add: 7, want: 3},
	}
	for _, tt := range tests {
		r := NewRing(tt.size)
		for i := 0; i < tt.add; i++ {
			r.Add(Line{Message: "old"})
		}
		_, seq, _ := r.Follow(0)
		if n := r.Clear(); n != tt.want {
			t.Errorf("size %d add %d: Clear() = %d, want %d", tt.size, tt.add, n, tt.want)
		}
		if got := r.Tail(-1); len(got) != 0 {
			t.Errorf("size %d add %d: %d lines left after Clear", tt.size, tt.add, len(got))
		}
		// A follower still gets what is added afterwards, and nothing old.
		for i := 0; i < tt.size+1; i++ {
			r.Add(Line{Message: "new"})
		}
		lines, _, _ := r.Since(seq)
		if len(lines) != tt.size {
			t.Errorf("size %d add %d: Since after Clear returned %d lines, want %d", tt.size, tt.add, len(lines), tt.size)
		}
		for _, l := range lines {
			if l.Message != "new" {
				t.Errorf("size %d add %d: old line %q came back", tt.size, tt.add, l.Message)
			}
		}
	}
}
