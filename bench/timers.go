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

// The timers step arms benchTimers calendar timers in one capsule, all
// triggering one shared oneshot service, as systemd 257 was measured
// (observed.md 31r: +2.8 MB RSS over its idle manager, 2 wake-ups a
// minute). It measures the manager's memory before and after arming them
// and how often it wakes while otherwise idle: its voluntary context
// switches, summed over its threads, in each of timerIdleMinutes minutes
// after the first (the mean and the worst minute). At most 10 a minute
// are allowed.
const (
	benchTimers  = 1000
	timerPrefix  = "bt-tmr-"
	timerService = "bt-tmr.service"
	timerIdle    = 60 * time.Second
	// timerIdleMinutes are measured after the first minute.
	timerIdleMinutes = 4
	// trimSettle outlasts the manager's idle trim (a second after its
	// last job), which returns the garbage of the loads to the system;
	// systemd was measured seconds after its start call returned.
	trimSettle = 2 * time.Second

	mTimersActive       = "start 1,000 timers, one call (all waiting)"
	mTimersIdleRSS      = "RSS capsuled --user, before arming 1,000 timers"
	mTimersIdlePSS      = "PSS capsuled --user, before arming 1,000 timers"
	mTimersRSS          = "RSS capsuled --user, 1,000 armed timers"
	mTimersPSS          = "PSS capsuled --user, 1,000 armed timers"
	mTimersRSSDelta     = "RSS increase, 1,000 armed timers"
	mTimersPSSDelta     = "PSS increase, 1,000 armed timers"
	mTimersWakeupsBoot  = "capsule manager voluntary context switches, first minute after arming, 1,000 armed timers"
	mTimersWakeups      = "capsule manager voluntary context switches per minute, 1,000 armed timers, idle (mean of 4 minutes)"
	mTimersWakeupsWorst = "capsule manager voluntary context switches, worst idle minute, 1,000 armed timers"
)

// timersScript writes the timers and their one service. Each timer fires
// daily at its own minute (HH:MM as systemd was measured with), the hours
// starting firstHour, so none is due while the step runs.
func timersScript(firstHour int) string {
	return fmt.Sprintf(`set -e
n=%[1]d p=%[2]s s=%[3]s h=%[4]d
d="$HOME/.config/systemd/user"
mkdir -p "$d"
cd "$d"
printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' >"$s"
i=0
while [ $i -lt $n ]; do
	printf '[Timer]\nOnCalendar=*-*-* %%02d:%%02d:00\nUnit=%%s\n' $(((h + i %% 12) %% 24)) $((i %% 60)) "$s" >"$p$i.timer"
	i=$((i + 1))
done
`, benchTimers, timerPrefix, timerService, firstHour)
}

// timersSetup leaves a stopped capsule whose home holds the timers.
func (b *bench) timersSetup(ctx context.Context) error {
	b.timersName = b.caps.fresh("tm")
	if _, err := b.caps.start(ctx, b.timersName); err != nil {
		return err
	}
	// Six hours ahead and the 12 hours after: nothing due for hours.
	first := (time.Now().Hour() + 6) % 24
	if _, err := b.ctl.run(ctx, "run", "-q", "-C", b.timersName, "-P", "sh", "-c", timersScript(first)); err != nil {
		return fmt.Errorf("write %d timers into capsule %s: %w", benchTimers, b.timersName, err)
	}
	_, err := b.caps.stop(ctx, b.timersName)
	return err
}

// timers starts the capsule, measures its idle manager, starts every timer
// with one call, waits until each waits, measures the manager again, then
// counts its wake-ups while nothing is due.
func (b *bench) timers(ctx context.Context) error {
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
	if err := sleep(ctx, trimSettle); err != nil {
		return err
	}
	pid, err := b.ctl.mainPID(ctx, service(b.timersName))
	if err != nil {
		return err
	}
	idle, err := readMemory(pid)
	if err != nil {
		return err
	}
	b.recordMemory(mTimersIdleRSS, mTimersIdlePSS, idle)
	args := []string{"-C", b.timersName, "start"}
	for i := range benchTimers {
		args = append(args, fmt.Sprintf("%s%d.timer", timerPrefix, i))
	}
	start := time.Now()
	if _, err := b.ctl.run(ctx, args...); err != nil {
		return fmt.Errorf("start %d timers in capsule %s: %w", benchTimers, b.timersName, err)
	}
	if err := b.waitActive(ctx, b.timersName, timerPrefix, benchTimers); err != nil {
		return err
	}
	b.record(mTimersActive, "ms", ms(time.Since(start)))
	if err := sleep(ctx, trimSettle); err != nil {
		return err
	}
	armed, err := readMemory(pid)
	if err != nil {
		return err
	}
	b.recordMemory(mTimersRSS, mTimersPSS, armed)
	b.record(mTimersRSSDelta, "KiB", armed.rss-idle.rss)
	b.record(mTimersPSSDelta, "KiB", armed.pss-idle.pss)
	// The first minute after the start is not idle: the runtime returns
	// the loads' memory to the system bit by bit. The idle minutes after
	// it hold at least one of the runtime's periodic collections (every
	// 2 minutes, seen by its monitor up to a minute late), which is when
	// garbage the idle trim missed would be handed back.
	first, err := voluntarySwitches(pid)
	if err != nil {
		return err
	}
	if err := sleep(ctx, timerIdle); err != nil {
		return err
	}
	prev, err := voluntarySwitches(pid)
	if err != nil {
		return err
	}
	b.record(mTimersWakeupsBoot, "count", float64(prev-first)*float64(time.Minute)/float64(timerIdle))
	var sum, worst float64
	for range timerIdleMinutes {
		if err := sleep(ctx, timerIdle); err != nil {
			return err
		}
		n, err := voluntarySwitches(pid)
		if err != nil {
			return err
		}
		perMinute := float64(n-prev) * float64(time.Minute) / float64(timerIdle)
		sum += perMinute
		worst = max(worst, perMinute)
		prev = n
	}
	b.record(mTimersWakeups, "count", sum/timerIdleMinutes)
	b.record(mTimersWakeupsWorst, "count", worst)
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
