package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// loadInterval is how often the load monitor samples /proc/loadavg.
const loadInterval = 5 * time.Second

// loadMonitor samples the machine's 1-minute load average while the
// benchmark runs, so that a table can be read against what else ran.
type loadMonitor struct {
	done    chan struct{}
	wg      sync.WaitGroup
	samples []float64 // written by the sampler until done is closed
}

func startLoadMonitor() *loadMonitor {
	m := &loadMonitor{done: make(chan struct{})}
	m.sample()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(loadInterval)
		defer t.Stop()
		for {
			select {
			case <-m.done:
				return
			case <-t.C:
				m.sample()
			}
		}
	}()
	return m
}

func (m *loadMonitor) sample() {
	if l, err := loadAverage(); err == nil {
		m.samples = append(m.samples, l)
	}
}

// stop ends sampling and describes the samples.
func (m *loadMonitor) stop() string {
	close(m.done)
	m.wg.Wait()
	m.sample()
	if len(m.samples) == 0 {
		return "unknown"
	}
	s := summarize(m.samples)
	return fmt.Sprintf("start %.2f, median %.2f, max %.2f, end %.2f (%d samples, every %v)",
		m.samples[0], s.median, s.max, m.samples[len(m.samples)-1], len(m.samples), loadInterval)
}

// loadAverage is the first figure of /proc/loadavg.
func loadAverage() (float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, fmt.Errorf("read load average: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("read load average: empty /proc/loadavg")
	}
	return strconv.ParseFloat(f[0], 64)
}
