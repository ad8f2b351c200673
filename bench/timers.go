package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The timers step arms benchTimers timers in one capsule (half on a
// calendar event years away, half on a monotonic span of a day, all with
// OnUnitActiveSec= too) and measures its manager's memory and how often it
// wakes while otherwise idle: its voluntary context switches, summed over
// its threads, over timerIdle. Issue 7 allows at most 10 per minute.
const (
	benchTimers = 1000
	timerPrefix = "bt-tmr-"
	timerIdle   = 60 * time.Second

	mTimersActive      = "start capsule, 1,000 armed timers (all waiting)"
	mTimersRSS         = "RSS capsuled --user, 1,000 armed timers"
	mTimersPSS         = "PSS capsuled --user, 1,000 armed timers"
	mTimersWakeupsBoot = "capsule manager voluntary context switches, first minute after boot, 1,000 armed timers"
	mTimersWakeups     = "capsule manager voluntary context switches per minute, 1,000 armed timers, idle"
)

// timersScript writes the timers and their services, each timer enabled
// for timers.target.
func timersScript() string {
	return fmt.Sprintf(`set -e
n=%[1]d p=%[2]s
d="$HOME/.config/systemd/user"
mkdir -p "$d/timers.target.wants"
cd "$d"
i=0
while [ $i -lt $n ]; do
	if [ $((i %% 2)) -eq 0 ]; then v='OnCalendar=2099-01-01 03:00'; else v='OnActiveSec=1d'; fi
	printf '[Timer]\n%%s\nOnUnitActiveSec=1h\n[Install]\nWantedBy=timers.target\n' "$v" >"$p$i.timer"
	printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' >"$p$i.service"
	ln -sf "../$p$i.timer" "timers.target.wants/$p$i.timer"
	i=$((i + 1))
done
`, benchTimers, timerPrefix)
}

// timersSetup leaves a stopped capsule whose home holds the timers.
func (b *bench) timersSetup(ctx context.Context) error {
	b.timersName = b.caps.fresh("tm")
	if _, err := b.caps.start(ctx, b.timersName); err != nil {
		return err
	}
	if _, err := b.ctl.run(ctx, "run", "-q", "-C", b.timersName, "-P", "sh", "-c", timersScript()); err != nil {
		return fmt.Errorf("write %d timers into capsule %s: %w", benchTimers, b.timersName, err)
	}
	_, err := b.caps.stop(ctx, b.timersName)
	return err
}

// timers starts the capsule, waits until every timer waits, measures the
// manager, then counts its wake-ups while nothing is due.
func (b *bench) timers(ctx context.Context) error {
	start := time.Now()
	if _, err := b.caps.start(ctx, b.timersName); err != nil {
		return err
	}
	// A build from before timer units (an A/B base) refuses them: its rows
	// stay empty rather than the run failing.
	out, err := b.ctl.run(ctx, "-C", b.timersName, "show", "-p", "LoadState", "--value", timerPrefix+"0.timer")
	if err != nil || strings.TrimSpace(string(out)) != "loaded" {
		fmt.Fprintf(b.progress, "  this build does not load timer units (%s); skipped\n", strings.TrimSpace(string(out)))
		_, err := b.caps.stopForRestart(ctx, b.timersName)
		return err
	}
	if err := b.waitActive(ctx, b.timersName, timerPrefix, benchTimers); err != nil {
		return err
	}
	b.record(mTimersActive, "ms", ms(time.Since(start)))
	pid, err := b.idleManager(ctx, b.timersName)
	if err != nil {
		return err
	}
	if err := b.measureManager(pid, mTimersRSS, mTimersPSS); err != nil {
		return err
	}
	// The first seconds after a boot are not idle: the runtime returns
	// the boot's memory to the system bit by bit. Sample two windows.
	first, err := voluntarySwitches(pid)
	if err != nil {
		return err
	}
	if err := sleep(ctx, timerIdle); err != nil {
		return err
	}
	before, err := voluntarySwitches(pid)
	if err != nil {
		return err
	}
	if err := sleep(ctx, timerIdle); err != nil {
		return err
	}
	after, err := voluntarySwitches(pid)
	if err != nil {
		return err
	}
	b.record(mTimersWakeupsBoot, "count", float64(before-first)*float64(time.Minute)/float64(timerIdle))
	b.record(mTimersWakeups, "count", float64(after-before)*float64(time.Minute)/float64(timerIdle))
	_, err = b.caps.stopForRestart(ctx, b.timersName)
	return err
}

func (b *bench) timersTeardown(ctx context.Context) error {
	_, err := b.caps.clean(ctx, b.timersName)
	return err
}

// voluntarySwitches sums voluntary_ctxt_switches over pid's threads: a
// Go program's timers and pollers run on any of them.
func voluntarySwitches(pid int) (int64, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) == 0 {
		return 0, fmt.Errorf("threads of pid %d: %v", pid, err)
	}
	var sum int64
	for _, p := range tasks {
		f, err := os.Open(p)
		if err != nil {
			continue // a thread that just ended
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "voluntary_ctxt_switches:"); ok {
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err == nil {
					sum += n
				}
			}
		}
		f.Close()
	}
	return sum, nil
}
