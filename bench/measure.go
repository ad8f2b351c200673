package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// result is one metric's samples in the unit printed.
type result struct {
	name   string
	unit   string
	values []float64
}

type summary struct {
	median, min, max float64
}

func summarize(values []float64) summary {
	s := slices.Clone(values)
	slices.Sort(s)
	mid := len(s) / 2
	median := s[mid]
	if len(s)%2 == 0 {
		median = (s[mid-1] + s[mid]) / 2
	}
	return summary{median: median, min: s[0], max: s[len(s)-1]}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// memory is a process's resident and proportional set size in KiB. PSS
// splits shared pages among their users, so it tells what one more
// manager costs better than RSS does.
type memory struct {
	rss, pss float64
}

func (m memory) add(o memory) memory { return memory{rss: m.rss + o.rss, pss: m.pss + o.pss} }

// readMemory reads the totals of /proc/PID/smaps_rollup, which the kernel
// computes in one pass instead of one line set per mapping.
func readMemory(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return memory{}, fmt.Errorf("memory of pid %d: %w", pid, err)
	}
	defer f.Close()
	var m memory
	var seen int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "Rss" && key != "Pss") {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 64)
		if err != nil {
			return memory{}, fmt.Errorf("memory of pid %d: parse %s: %w", pid, key, err)
		}
		if key == "Rss" {
			m.rss = kb
		} else {
			m.pss = kb
		}
		seen++
	}
	if err := sc.Err(); err != nil {
		return memory{}, fmt.Errorf("memory of pid %d: %w", pid, err)
	}
	if seen != 2 {
		return memory{}, fmt.Errorf("memory of pid %d: no Rss and Pss in smaps_rollup", pid)
	}
	return m, nil
}
