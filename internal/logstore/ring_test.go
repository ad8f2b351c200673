package logstore

import (
	"strings"
	"testing"
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
	Copy(strings.NewReader("a\nb\n"+long+"\nlast"), func(s string) { got = append(got, s) })
	if len(got) != 5 || got[0] != "a" || got[1] != "b" || got[4] != "last" {
		t.Fatalf("unexpected lines: %d %q", len(got), got[:2])
	}
	if len(got[2])+len(got[3]) != 5000 {
		t.Fatalf("long line lost bytes: %d+%d", len(got[2]), len(got[3]))
	}
}
