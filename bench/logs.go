package main

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// The log step measures the log store: how many lines a second a unit
// printing as fast as it can gets into it, in a capsule and in the system
// manager, with that manager's CPU meanwhile; and logs -n 100 on a 100 MB
// log. It is reported on its own, for the current build only: the build
// before the store kept unit output in memory.
const (
	logFloodLines = 100000
	logTailMB     = 100
	logTailUnits  = 50
	logPoll       = 20 * time.Millisecond
	logTimeout    = 2 * time.Minute
	// logRounds caps the step's rounds: a capsule's flood is paced (see
	// logFlood) and takes about 20 s.
	logRounds = 5

	mLogRateCapsule = "log store lines/s, unit printing flat out (capsule)"
	mLogCPUCapsule  = "capsule manager CPU meanwhile"
	mLogRateSystem  = "log store lines/s, unit printing flat out (system)"
	mLogCPUSystem   = "system manager CPU meanwhile"
	mLogTail        = "logs -n 100, 100 MB log"
	mLogTailUnit    = "logs -n 100 -u UNIT, 100 MB log, 1 unit of 50"
)

// logFloodCommand prints logFloodLines numbered lines of 49 characters
// (journald's JSON makes about 250 bytes of each on disk).
func logFloodCommand() []string {
	return []string{"seq", "-f", "line %06.0f of a unit printing as fast as it can", "1", fmt.Sprint(logFloodLines)}
}

// logFillScript writes, as the capsule, a log of about logTailMB MB into
// its store's three rotated files (the one the manager writes stays
// small, so nothing rotates them away): lines of logTailUnits services in
// turn, oldest in capsuled.3.jsonl, each file a third.
func logFillScript() string {
	return fmt.Sprintf(`import json, os, time
d = os.path.join(os.environ.get("XDG_STATE_HOME", os.path.expanduser("~/.local/state")), "capsuled/log")
os.makedirs(d, exist_ok=True)
total, units = %d << 20, %d
per = total // 3
t = int(time.time() * 1e6) - 10**9
i = 0
for k in (3, 2, 1):
    with open(os.path.join(d, "capsuled.%%d.jsonl" %% k), "w") as f:
        size, buf = 0, []
        while size < per:
            u = "bl-u%%d.service" %% (i %% units)
            r = json.dumps({"__REALTIME_TIMESTAMP": str(t + i), "PRIORITY": "6", "SYSLOG_IDENTIFIER": "bl",
                "_PID": str(1000 + i %% units), "_SYSTEMD_UNIT": u, "_SYSTEMD_INVOCATION_ID": "%%032x" %% (i %% units),
                "MESSAGE": "line %%d of a long log, about as long as most lines" %% i}, separators=(",", ":")) + "\n"
            buf.append(r)
            size += len(r)
            i += 1
            if len(buf) == 4096:
                f.write("".join(buf)); buf = []
        f.write("".join(buf))
`, logTailMB, logTailUnits)
}

// logsSetup starts two capsules: one whose rotated files hold the 100 MB
// log, and one the floods write to (their rotation would drop the big
// log's files).
func (b *bench) logsSetup(ctx context.Context) error {
	b.logTailName, b.logFloodName = b.caps.fresh("lt"), b.caps.fresh("lw")
	for _, n := range []string{b.logTailName, b.logFloodName} {
		if _, err := b.caps.start(ctx, n); err != nil {
			return err
		}
	}
	if _, err := b.ctl.run(ctx, "run", "-q", "-C", b.logTailName, "-P", "python3", "-c", logFillScript()); err != nil {
		return fmt.Errorf("write a %d MB log in capsule %s: %w", logTailMB, b.logTailName, err)
	}
	return nil
}

func (b *bench) logs(ctx context.Context) error {
	b.logSeq++
	pid, err := b.ctl.mainPID(ctx, service(b.logFloodName))
	if err != nil {
		return err
	}
	if err := b.logFlood(ctx, []string{"-C", b.logFloodName}, pid, mLogRateCapsule, mLogCPUCapsule); err != nil {
		return err
	}
	sys, err := managerPID(ctx, b.ctl)
	if err != nil {
		return err
	}
	if err := b.logFlood(ctx, nil, sys, mLogRateSystem, mLogCPUSystem); err != nil {
		return err
	}
	for _, q := range []struct {
		metric string
		args   []string
	}{
		{mLogTail, []string{"-C", b.logTailName, "logs", "-n", "100"}},
		{mLogTailUnit, []string{"-C", b.logTailName, "logs", "-n", "100", "-u", fmt.Sprintf("bl-u%d.service", b.logSeq%logTailUnits)}},
	} {
		out, err := b.ctl.run(ctx, q.args...)
		if err != nil {
			return err
		}
		// Timed again now that the output is known to be whole.
		if n := bytes.Count(out, []byte{'\n'}); n < 100 {
			return fmt.Errorf("%v: %d lines, want 100", q.args, n)
		}
		d, err := b.ctl.timed(ctx, q.args...)
		if err != nil {
			return err
		}
		b.recordLog(q.metric, "ms", ms(d))
	}
	return nil
}

// logFlood runs a unit printing logFloodLines lines, with the rate limit
// off, in the manager that -C args (none: the system manager) names, whose
// pid is mgr, and records the lines a second from its start until its
// last line is in the store, and mgr's CPU share meanwhile. A capsule's
// manager echoes its units' output on its stderr, which is
// capsule@NAME.service's output in the system manager, rate-limited there
// whatever the capsule sets: past that unit's burst the capsule's manager
// waits on the pipe, read at most 320 KB/s, and so does the flood.
func (b *bench) logFlood(ctx context.Context, args []string, mgr int, rateMetric, cpuMetric string) error {
	unit := fmt.Sprintf("bl-flood%d", b.logSeq)
	last := []byte(fmt.Sprintf("line %06d of a unit", logFloodLines))
	t0, err := cpuTicks(mgr)
	if err != nil {
		return err
	}
	start := time.Now()
	run := append(append([]string{"run", "-q"}, args...), "-u", unit, "-p", "LogRateLimitIntervalSec=0")
	if _, err := b.ctl.run(ctx, append(run, logFloodCommand()...)...); err != nil {
		return err
	}
	deadline := start.Add(logTimeout)
	for {
		out, err := b.ctl.run(ctx, append(append([]string{}, args...), "logs", "-n", "20", "-u", unit+".service")...)
		if err != nil {
			return err
		}
		if bytes.Contains(out, last) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: last line not in the log after %v", unit, logTimeout)
		}
		if err := sleep(ctx, logPoll); err != nil {
			return err
		}
	}
	d := time.Since(start)
	t1, err := cpuTicks(mgr)
	if err != nil {
		return err
	}
	b.recordLog(rateMetric, "lines/s", logFloodLines/d.Seconds())
	// USER_HZ is 100 on Linux.
	b.recordLog(cpuMetric, "%", float64(t1-t0)/d.Seconds())
	return nil
}

func (b *bench) logsTeardown(ctx context.Context) error {
	for _, n := range []string{b.logTailName, b.logFloodName} {
		if _, err := b.caps.stop(ctx, n); err != nil {
			return err
		}
		if _, err := b.caps.clean(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// recordLog records a row of the log store's own table.
func (b *bench) recordLog(metric, unit string, v float64) {
	results := b.results
	b.results = b.logResults
	b.record(metric, unit, v)
	b.logResults, b.results = b.results, results
}
