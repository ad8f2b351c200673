package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// stormSize is how many capsules TestStartStorm starts and how many at
// once. CAPSULED_E2E_STORM=TOTAL[xBATCH] asks for a bigger storm (the
// issue's 600x50); by default it stays small to keep the suite fast.
func stormSize(t *testing.T) (total, batch int) {
	total, batch = 40, 20
	v := os.Getenv("CAPSULED_E2E_STORM")
	if v == "" {
		return total, batch
	}
	ts, bs, hasBatch := strings.Cut(v, "x")
	var err error
	if total, err = strconv.Atoi(ts); err != nil || total < 1 {
		t.Fatalf("CAPSULED_E2E_STORM=%q: want TOTAL or TOTALxBATCH", v)
	}
	batch = 50
	if hasBatch {
		if batch, err = strconv.Atoi(bs); err != nil || batch < 1 {
			t.Fatalf("CAPSULED_E2E_STORM=%q: want TOTAL or TOTALxBATCH", v)
		}
	}
	return total, batch
}

// TestStartStorm starts capsules in batches, each batch with one
// capsulectl call (one connection and one start job per capsule, all at
// once), and checks every start completed: none may be lost.
func TestStartStorm(t *testing.T) {
	total, batch := stormSize(t)
	var units []string
	// One cleanup for all: stopping and cleaning one by one would take
	// seconds per hundred.
	t.Cleanup(func() { removeCapsules(t, units) })
	lost := 0
	for len(units) < total {
		n := min(batch, total-len(units))
		var names []string
		for range n {
			name := fmt.Sprintf("storm%d-%d", os.Getpid()%100000, counter.Add(1))
			names = append(names, "capsule@"+name+".service")
		}
		units = append(units, names...)
		if r := ctlRun(nil, append([]string{"start"}, names...)...); r.code != 0 {
			t.Errorf("start of a batch of %d: %s", n, r)
		}
		r := ctlRun(nil, append([]string{"is-active"}, names...)...)
		states := strings.Fields(r.stdout)
		if len(states) != len(names) {
			t.Fatalf("is-active of %d units printed %d states: %s", len(names), len(states), r)
		}
		for i, st := range states {
			if st != "active" {
				lost++
				t.Errorf("%s is %s after its start returned", names[i], st)
			}
		}
	}
	// Every capsule manager of the storm answers, as the one whose
	// READY=1 the system manager once dropped did.
	for _, u := range units {
		capsule := strings.TrimSuffix(strings.TrimPrefix(u, "capsule@"), ".service")
		if r := ctlRun(nil, "-C", capsule, "is-system-running"); r.code != 0 && r.code != 1 {
			t.Errorf("capsule %s does not answer: %s", capsule, r)
		}
	}
	t.Logf("%d capsules in batches of %d: %d lost", total, batch, lost)
}

// removeCapsules stops and wipes capsules (unit names), a hundred per
// capsulectl call, and checks nothing of them is left.
func removeCapsules(t *testing.T, units []string) {
	for i := 0; i < len(units); i += 100 {
		chunk := units[i:min(i+100, len(units))]
		if r := ctlRun(nil, append([]string{"stop"}, chunk...)...); r.code != 0 && r.code != 5 {
			t.Errorf("cleanup: stop: %s", r)
		}
		if r := ctlRun(nil, append([]string{"clean", "--what=all"}, chunk...)...); r.code != 0 {
			t.Errorf("cleanup: clean: %s", r)
		}
	}
	for _, u := range units {
		name := strings.TrimSuffix(strings.TrimPrefix(u, "capsule@"), ".service")
		for _, p := range []string{"/run/capsules/" + name, "/var/lib/capsules/" + name, "/var/lib/private/capsules/" + name} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("cleanup: %s still exists", p)
				os.RemoveAll(p)
			}
		}
		if _, ok := capsuleUID(t, name); ok {
			t.Errorf("cleanup: user c-%s still resolves", name)
		}
	}
}
