package manager

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
)

// BenchmarkTimerUnitsMemory loads and arms 1,000 calendar timers in one
// manager and reports the live heap each costs, measured after a
// collection: with one shared service (as systemd 257 was measured, see
// bench/README.md) and with a service of its own each. With
// CAPSULED_HEAPPROFILE=FILE set it also writes a heap profile of the
// last round (go tool pprof -sample_index=inuse_space FILE).
func BenchmarkTimerUnitsMemory(b *testing.B) {
	for _, shared := range []bool{true, false} {
		name := "own-service"
		if shared {
			name = "shared-service"
		}
		b.Run(name, func(b *testing.B) { benchmarkTimerUnitsMemory(b, 1000, shared) })
	}
}

func benchmarkTimerUnitsMemory(b *testing.B, count int, shared bool) {
	files := map[string]string{"bm.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n"}
	var names []string
	for i := range count {
		n := fmt.Sprintf("bm-%d.timer", i)
		// Years away, so none is due while the benchmark runs.
		text := fmt.Sprintf("[Timer]\nOnCalendar=2099-01-01 %02d:%02d:00\n", i%24, i%60)
		if shared {
			text += "Unit=bm.service\n"
		} else {
			files[fmt.Sprintf("bm-%d.service", i)] = "[Service]\nType=oneshot\nExecStart=/bin/true\n"
		}
		files[n] = text
		names = append(names, n)
	}
	if os.Getenv("CAPSULED_HEAPPROFILE") != "" {
		// Every allocation sampled, so the profile adds up per unit.
		old := runtime.MemProfileRate
		runtime.MemProfileRate = 1
		defer func() { runtime.MemProfileRate = old }()
	}
	ctx := context.Background()
	var perTimer float64
	for b.Loop() {
		b.StopTimer()
		m, _, _ := fakeEngine(b, files)
		before := liveHeap()
		b.StartTimer()
		for _, n := range names {
			if _, err := m.Start(ctx, n); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		after := liveHeap()
		perTimer = float64(int64(after)-int64(before)) / float64(count)
		if p := os.Getenv("CAPSULED_HEAPPROFILE"); p != "" {
			writeHeapProfile(b, p)
		}
		m.mu.Lock()
		loaded := len(m.units)
		m.mu.Unlock()
		if loaded < count {
			b.Fatalf("%d units loaded, want at least %d", loaded, count)
		}
		runtime.KeepAlive(m)
		b.StartTimer()
	}
	b.ReportMetric(perTimer, "bytes/timer")
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}
