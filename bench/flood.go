package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	mLogFlood    = "system manager CPU, log flood in a capsule"
	mNotifyFlood = "system manager CPU, notify flood (capsule)"
	// floodWindow is how long the manager's CPU time is counted.
	floodWindow = 5 * time.Second
)

// floods measures what a hostile capsule costs the system manager: one
// unit writing its output as fast as it can with the capsule's own rate
// limit off, then one process sending notify datagrams as fast as the
// kernel takes them. Each runs floodWindow once; the figure is the share
// of one CPU the system manager used meanwhile.
func (b *bench) floods(ctx context.Context) error {
	name := b.caps.fresh("flood")
	if _, err := b.caps.start(ctx, name); err != nil {
		return err
	}
	pid, err := managerPID(ctx, b.ctl)
	if err != nil {
		return err
	}
	if _, err := b.ctl.run(ctx, "run", "-q", "-C", name, "-u", "flood", "-p", "LogRateLimitIntervalSec=0", "yes"); err != nil {
		return err
	}
	cpu, err := cpuShare(ctx, pid, floodWindow)
	if err != nil {
		return err
	}
	b.record(mLogFlood, "%", cpu)
	if _, err := b.ctl.run(ctx, "-C", name, "stop", "flood.service"); err != nil {
		return err
	}
	// Inside the sandbox, the shared notify socket's path.
	sock := b.runtimeDir + "/notify"
	script := fmt.Sprintf(`import socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
end = time.monotonic() + %d
while time.monotonic() < end:
    try:
        s.sendto(b"STATUS=flood", socket.MSG_DONTWAIT, %q)
    except BlockingIOError:
        pass
`, int(floodWindow/time.Second)+2, sock)
	if _, err := b.ctl.run(ctx, "run", "-q", "-C", name, "-u", "nflood", "python3", "-c", script); err != nil {
		return err
	}
	if err := sleep(ctx, 500*time.Millisecond); err != nil {
		return err
	}
	if cpu, err = cpuShare(ctx, pid, floodWindow); err != nil {
		return err
	}
	b.record(mNotifyFlood, "%", cpu)
	if _, err := b.caps.stop(ctx, name); err != nil {
		return err
	}
	_, err = b.caps.clean(ctx, name)
	return err
}

// cpuShare is the CPU time process pid used during d, in percent of one
// CPU.
func cpuShare(ctx context.Context, pid int, d time.Duration) (float64, error) {
	t0, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := sleep(ctx, d); err != nil {
		return 0, err
	}
	t1, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	// USER_HZ is 100 on Linux.
	return float64(t1-t0) / 100 / time.Since(start).Seconds() * 100, nil
}

// cpuTicks is utime+stime of pid from /proc/PID/stat.
func cpuTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14, stime 15.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	return u + s, nil
}
