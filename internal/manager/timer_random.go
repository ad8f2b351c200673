package manager

import (
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strconv"
	"time"
)

// timerRandomDelay is the delay RandomizedDelaySec= adds to an elapse:
// drawn anew each time, or, with FixedRandomDelay=, the same for the
// same machine, unit and user.
func (m *Manager) timerRandomDelay(u *Unit) time.Duration {
	tc := u.conf.Timer
	if tc.RandomizedDelay <= 0 {
		return 0
	}
	if !tc.FixedRandomDelay {
		return rand.N(tc.RandomizedDelay)
	}
	h := fnv.New64a()
	id, _ := os.ReadFile("/etc/machine-id")
	h.Write(id)
	h.Write([]byte(u.name))
	h.Write([]byte(strconv.Itoa(os.Getuid())))
	return time.Duration(h.Sum64() % uint64(tc.RandomizedDelay))
}

// timerPerturb is this boot's offset of coalesced wake-ups within a
// minute (from the boot ID, as systemd's event loop takes it), so hosts
// do not all wake at the same instant. Callers hold m.mu.
func (m *Manager) timerPerturb() int64 {
	x := &m.timers
	if !x.perturbSet {
		id, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
		h := fnv.New64a()
		h.Write(id)
		x.perturb, x.perturbSet = int64(h.Sum64()%uint64(time.Minute/time.Microsecond)), true
	}
	return x.perturb
}
