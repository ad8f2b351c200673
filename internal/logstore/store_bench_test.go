package logstore

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// benchLine is a typical line of a unit's output.
func benchLine(i int) Line {
	return Line{Time: time.Now(), Unit: "bench.service", Ident: "sh", PID: 4242, Priority: 6,
		Invoc: "0123456789abcdef0123456789abcdef", Message: fmt.Sprintf("request %d served in 12 ms from 10.0.0.1", i)}
}

// BenchmarkAppend is the cost of storing one line (one write(2) each).
func BenchmarkAppend(b *testing.B) {
	s, err := Open(b.TempDir(), Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	l := benchLine(0)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.Append(l)
	}
}

// BenchmarkAppendLines is the cost per line of storing what one read of
// a flooding unit's output brings in (64 lines: one write(2) and one
// fstat(2) for them all).
func BenchmarkAppendLines(b *testing.B) {
	s, err := Open(b.TempDir(), Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	lines := make([]Line, 64)
	for i := range lines {
		lines[i] = benchLine(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.AppendLines(lines)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
}

// fill writes size bytes of lines of several units into dir.
func fill(b *testing.B, dir string, size int64) *Store {
	s, err := Open(dir, Options{MaxFileSize: size/4 + 1, MaxFiles: 5}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; ; i++ {
		l := benchLine(i)
		l.Unit = fmt.Sprintf("u%d.service", i%50)
		s.Append(l)
		if i%1000 == 0 && du(dir) >= size {
			return s
		}
	}
}

func du(dir string) int64 {
	ents, _ := os.ReadDir(dir)
	var n int64
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// BenchmarkTail100 is logs -n 100 (of the whole manager, and of one unit
// of 50) on a 100 MB log.
func BenchmarkTail100(b *testing.B) {
	dir := b.TempDir()
	s := fill(b, dir, 100<<20)
	defer s.Close()
	for _, units := range [][]string{nil, {"u7.service"}} {
		b.Run(fmt.Sprintf("units=%d", len(units)), func(b *testing.B) {
			q := NewQuery(100)
			q.Units = units
			for range b.N {
				got, _, err := s.Read(q)
				if err != nil || len(got) != 100 {
					b.Fatal(len(got), err)
				}
			}
		})
	}
}

// BenchmarkOpen is a manager's start on a 10 MiB log.
func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	fill(b, dir, 10<<20).Close()
	b.ResetTimer()
	for range b.N {
		s, err := Open(dir, Options{MaxFileSize: 10 << 20 / 4}, nil)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// TestStoreFootprint reports disk and heap per 10,000 lines (run with -v;
// nothing is asserted on the figures).
func TestStoreFootprint(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	dir := t.TempDir()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := Open(dir, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 10000 {
		s.Append(benchLine(i))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	got, _, _ := s.Read(NewQuery(-1))
	if len(got) != 10000 {
		t.Fatalf("read %d lines back", len(got))
	}
	t.Logf("10,000 lines: %d bytes on disk (%s), heap %+d bytes", du(dir), filepath.Base(dir), int64(after.HeapAlloc)-int64(before.HeapAlloc))
}
