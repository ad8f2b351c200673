package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// stormMemPerCapsule is what the storm assumes one running capsule may
// cost at most (a capsule manager's PSS is about 2-3 MiB); it refuses to
// start when MemAvailable cannot hold that for every capsule plus a margin.
const (
	stormMemPerCapsule = 8 << 20
	stormMemMargin     = 1 << 30
)

// storm starts opts.storm new capsules, opts.stormBatch per capsulectl
// call (each call queues all its start jobs at once), with all of them
// running at the end. It records the total time, the starts that did not
// end active (lost), the PSS of every process in the capsules, and the
// system manager's threads and descriptors idle and with all capsules up.
// Then it stops and cleans them in the same batches and checks nothing of
// them is left.
func (b *bench) storm(ctx context.Context) (err error) {
	total, batch := b.stormTotal, b.stormBatch
	if err := checkMemory(total); err != nil {
		return err
	}
	pid := b.sys.cmd.Process.Pid
	idleThreads, idleFDs, err := threadsAndFDs(pid)
	if err != nil {
		return err
	}
	b.record("system manager threads, idle", "count", float64(idleThreads))
	b.record("system manager open fds, idle", "count", float64(idleFDs))

	names := make([]string, total)
	for i := range names {
		names[i] = b.caps.fresh("s")
	}
	defer func() {
		if err != nil {
			// The final clean-up goes one capsule at a time: too slow
			// for a thousand.
			cctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
			defer cancel()
			for i := 0; i < total; i += batch {
				chunk := names[i:min(i+batch, total)]
				b.ctl.timed(cctx, append([]string{"stop"}, units(chunk)...)...)
				b.caps.cleanMany(cctx, chunk)
			}
		}
	}()
	lost := 0
	start := time.Now()
	for i := 0; i < total; i += batch {
		chunk := names[i:min(i+batch, total)]
		// A failed start is counted below rather than ending the run.
		b.ctl.timed(ctx, append([]string{"start"}, units(chunk)...)...)
		n, err := b.inactive(ctx, chunk)
		if err != nil {
			return err
		}
		lost += n
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	startTime := time.Since(start)
	per := fmt.Sprintf("%d capsules, %d per call", total, batch)
	b.record("start "+per+" (total)", "ms", ms(startTime))
	b.record(fmt.Sprintf("lost starts, %d capsules", total), "count", float64(lost))
	if err := sleep(ctx, settle); err != nil {
		return err
	}
	var sum memory
	procs := 0
	for _, name := range names {
		m, n, err := b.capsuleMemory(name)
		if err != nil {
			return err
		}
		sum, procs = sum.add(m), procs+n
	}
	b.record(fmt.Sprintf("sum PSS, %d capsules (all processes)", total), "KiB", sum.pss)
	b.record(fmt.Sprintf("PSS per capsule, %d capsules", total), "KiB", sum.pss/float64(total))
	b.record(fmt.Sprintf("processes in %d capsules", total), "count", float64(procs))
	threads, fds, err := threadsAndFDs(pid)
	if err != nil {
		return err
	}
	b.record(fmt.Sprintf("system manager threads, %d capsules", total), "count", float64(threads))
	b.record(fmt.Sprintf("system manager open fds, %d capsules", total), "count", float64(fds))

	start = time.Now()
	for i := 0; i < total; i += batch {
		if _, err := b.ctl.timed(ctx, append([]string{"stop"}, units(names[i:min(i+batch, total)])...)...); err != nil {
			return err
		}
	}
	b.record("stop "+per+" (total)", "ms", ms(time.Since(start)))
	for i := 0; i < total; i += batch {
		if err := b.caps.cleanMany(ctx, names[i:min(i+batch, total)]); err != nil {
			return err
		}
	}
	return leftovers(names)
}

func units(names []string) []string {
	us := make([]string, len(names))
	for i, n := range names {
		us[i] = service(n)
	}
	return us
}

// inactive counts the capsules among names whose unit is not active.
func (b *bench) inactive(ctx context.Context, names []string) (int, error) {
	// is-active exits non-zero when any unit is not active; its output
	// still has one line per unit.
	cmd := b.ctl.command(ctx, append([]string{"is-active"}, units(names)...))
	out, _ := cmd.Output()
	states := strings.Fields(string(out))
	if len(states) != len(names) {
		return 0, fmt.Errorf("is-active of %d units printed %d states: %q", len(names), len(states), out)
	}
	n := 0
	for _, s := range states {
		if s != "active" {
			n++
		}
	}
	return n, nil
}

// capsuleMemory sums the memory of every process in a capsule's cgroup
// tree and returns it with the number of processes.
func (b *bench) capsuleMemory(name string) (memory, int, error) {
	root := filepath.Join(b.sys.cgroupDir, "capsule.slice", service(name))
	var sum memory
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != "cgroup.procs" {
			return nil
		}
		pids, err := readPIDs(path)
		if err != nil {
			return err
		}
		for _, pid := range pids {
			m, err := readMemory(pid)
			if err != nil {
				continue // exited meanwhile
			}
			sum, n = sum.add(m), n+1
		}
		return nil
	})
	if err != nil {
		return memory{}, 0, fmt.Errorf("memory of capsule %s: %w", name, err)
	}
	return sum, n, nil
}

func readPIDs(path string) ([]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// threadsAndFDs reads a process's thread count and open descriptors.
func threadsAndFDs(pid int) (threads, fds int, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("threads of pid %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Threads:"); ok {
			threads, err = strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return 0, 0, fmt.Errorf("threads of pid %d: %w", pid, err)
			}
		}
	}
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("descriptors of pid %d: %w", pid, err)
	}
	return threads, len(entries), nil
}

// checkMemory refuses a storm the machine cannot hold.
func checkMemory(capsules int) error {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return fmt.Errorf("read meminfo: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		v, ok := strings.CutPrefix(line, "MemAvailable:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return fmt.Errorf("parse MemAvailable: %w", err)
		}
		if need := int64(capsules)*stormMemPerCapsule + stormMemMargin; kb*1024 < need {
			return fmt.Errorf("%d capsules need about %d MiB, only %d MiB available (lower -storm)", capsules, need>>20, kb>>10)
		}
		return nil
	}
	return errors.New("no MemAvailable in /proc/meminfo")
}

// leftovers checks that nothing of the named capsules is left on disk or
// in the user database.
func leftovers(names []string) error {
	var left []string
	for _, name := range names {
		for _, p := range []string{"/run/capsules/" + name, "/var/lib/capsules/" + name,
			"/var/lib/private/capsules/" + name, "/run/userdb/c-" + name + ".user"} {
			if _, err := os.Lstat(p); err == nil {
				left = append(left, p)
			}
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("%d paths left after stop and clean, first %s", len(left), left[0])
	}
	return nil
}
