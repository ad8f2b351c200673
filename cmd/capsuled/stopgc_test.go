package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// inUse is what the soft limit is compared against, by the other measure
// its documentation gives: all the runtime holds, not only the heap.
func inUse() int64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.Sys - ms.HeapReleased)
}

func TestCollectLessWhileStopping(t *testing.T) {
	for _, tc := range []struct {
		name     string
		operator int64 // soft limit in effect before the stop (GOMEMLIMIT)
	}{
		{name: "no limit set", operator: math.MaxInt64},
		{name: "operator's limit below the headroom", operator: 16 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oldLimit := debug.SetMemoryLimit(tc.operator)
			oldPercent := debug.SetGCPercent(100)
			t.Cleanup(func() {
				debug.SetMemoryLimit(oldLimit)
				debug.SetGCPercent(oldPercent)
			})
			// Goroutine stacks count against the limit like the heap.
			block := make(chan struct{})
			for range 2000 {
				go func() {
					var pad [2048]byte
					_ = pad
					<-block
				}()
			}
			defer close(block)
			collectLessWhileStopping()
			limit := debug.SetMemoryLimit(-1)
			if p := debug.SetGCPercent(-1); p != -1 {
				t.Errorf("GC percent %d while stopping, want -1 (off)", p)
			}
			if limit > tc.operator {
				t.Errorf("soft limit raised from %d to %d: GOMEMLIMIT is the operator's bound", tc.operator, limit)
			}
			if tc.operator == math.MaxInt64 {
				// A little slack for what the runtime itself allocated
				// since the limit was set.
				if free := limit - inUse(); free < stopHeapHeadroom-1<<20 {
					t.Errorf("soft limit %d leaves %d bytes above the memory in use, want about %d", limit, free, stopHeapHeadroom)
				}
			}
		})
	}
}
