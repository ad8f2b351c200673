package manager

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"testing"
	"time"
)

// BenchmarkTimerUnitsMemory loads and arms 1,000 calendar timers in one
// manager and reports what each costs, measured after a collection: the
// live heap (bytes/timer), the heap spans in use, which is what stays in
// RSS once freed pages are returned (inuse-bytes/timer), and all that was
// allocated on the way (alloc-bytes/timer). With one shared service (as
// systemd 257 was measured, see bench/README.md) or a service of its own
// each; started one after the other, or all queued at once from a
// goroutine each, as the control socket does for one capsulectl start
// naming them all. The capsule manager's GC target (25%) applies. With
// CAPSULED_HEAPPROFILE=FILE set it also writes a heap profile of the
// last round (go tool pprof -sample_index=inuse_space FILE).
func BenchmarkTimerUnitsMemory(b *testing.B) {
	for _, shared := range []bool{true, false} {
		for _, parallel := range []bool{false, true} {
			name := "own-service"
			if shared {
				name = "shared-service"
			}
			if parallel {
				name += "/at-once"
			} else {
				name += "/one-by-one"
			}
			b.Run(name, func(b *testing.B) { benchmarkTimerUnitsMemory(b, 1000, shared, parallel) })
		}
	}
}

func benchmarkTimerUnitsMemory(b *testing.B, count int, shared, parallel bool) {
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
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	if os.Getenv("CAPSULED_HEAPPROFILE") != "" {
		// Every allocation sampled, so the profile adds up per unit.
		old := runtime.MemProfileRate
		runtime.MemProfileRate = 1
		defer func() { runtime.MemProfileRate = old }()
	}
	ctx := context.Background()
	var live, inuse, alloc float64
	for b.Loop() {
		b.StopTimer()
		m, _, _ := fakeEngine(b, files)
		// The loader trusts a directory listing only once it is a second
		// old; the unit files of a capsule are older than that.
		time.Sleep(1100 * time.Millisecond)
		before := heapStats()
		b.StartTimer()
		if parallel {
			startAtOnce(b, m, names)
		} else {
			for _, n := range names {
				if _, err := m.Start(ctx, n); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.StopTimer()
		after := heapStats()
		live = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(count)
		inuse = float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / float64(count)
		alloc = float64(after.TotalAlloc-before.TotalAlloc) / float64(count)
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
	b.ReportMetric(live, "bytes/timer")
	b.ReportMetric(inuse, "inuse-bytes/timer")
	b.ReportMetric(alloc, "alloc-bytes/timer")
}

// startAtOnce queues a start of each unit from a goroutine of its own and
// waits for them all.
func startAtOnce(b *testing.B, m *Manager, names []string) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Go(func() {
			j, err := m.Queue(ctx, JobStart, n, "")
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := j.Wait(ctx); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
}

// heapStats are the heap's figures after a full collection, with freed
// pages returned to the system.
func heapStats() runtime.MemStats {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms
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
