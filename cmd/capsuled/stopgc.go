package main

import (
	"runtime/debug"
	"runtime/metrics"
)

// collectLessWhileStopping turns the garbage collector off, bounded by a
// soft limit of the memory in use now plus stopHeapHeadroom: a stopping
// manager frees everything when it exits, so collecting while its units
// stop (hundreds of stop jobs allocate a few MB) only makes the stop
// slower. A lower limit already in effect (GOMEMLIMIT) is kept: it is
// the operator's bound on the manager.
func collectLessWhileStopping() {
	limit := runtimeInUse() + stopHeapHeadroom
	if cur := debug.SetMemoryLimit(-1); cur < limit {
		limit = cur
	}
	debug.SetMemoryLimit(limit)
	debug.SetGCPercent(-1)
}

// runtimeInUse is the memory the soft limit is measured against: all the
// runtime holds (goroutine stacks and its own metadata too, not only the
// heap), less what it has handed back to the kernel (bytes).
func runtimeInUse() int64 {
	s := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	metrics.Read(s)
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64())
}

// manyUnits is how many loaded units make a manager's stop long enough
// to run without collections and, for a capsule manager, on every
// processor.
const manyUnits = 100

// stopHeapHeadroom is how far the runtime's memory may grow while a
// manager stops before it collects again (bytes).
const stopHeapHeadroom = 64 << 20
