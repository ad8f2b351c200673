package manager

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/process/processtest"
)

// exitOnSignal ends each fake process once it is signalled, as a service
// that heeds SIGTERM does.
func exitOnSignal(ctx context.Context, fake *processtest.Fake) {
	for {
		select {
		case p := <-fake.Spawned:
			go func() {
				for len(p.Signals()) == 0 && !p.HasExited() {
					if ctx.Err() != nil {
						return
					}
					time.Sleep(100 * time.Microsecond)
				}
				p.Kill(syscall.SIGTERM)
			}()
		case <-ctx.Done():
			return
		}
	}
}

// BenchmarkStopParallel stops running services with one job each, queued
// at once, as one capsulectl stop naming 20 capsules does; 20 stops take
// about as long as one when nothing serializes them.
func BenchmarkStopParallel(b *testing.B) {
	for _, n := range []int{1, 20} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchmarkStopParallel(b, n) })
	}
}

func benchmarkStopParallel(b *testing.B, count int) {
	files := map[string]string{}
	var names []string
	for i := range count {
		n := fmt.Sprintf("c%d.service", i)
		files[n] = "[Service]\nExecStart=/bin/sleep infinity\nKillMode=mixed\n"
		names = append(names, n)
	}
	m, fake, _ := fakeEngine(b, files)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go exitOnSignal(ctx, fake)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		for _, n := range names {
			if _, err := m.Start(ctx, n); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		var wg sync.WaitGroup
		for _, n := range names {
			wg.Go(func() {
				j, err := m.Queue(ctx, JobStop, n, "")
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := j.Wait(ctx); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
}

// BenchmarkShutdownUser shuts down a capsule's manager with its targets,
// sockets and a few services active, as a capsule's stop does.
func BenchmarkShutdownUser(b *testing.B) {
	files := map[string]string{}
	for i := range 3 {
		files[fmt.Sprintf("s%d.service", i)] = "[Unit]\nDefaultDependencies=yes\n[Service]\nExecStart=/bin/sleep infinity\nKillMode=mixed\n[Install]\nWantedBy=capsule@fake.target\n"
	}
	for b.Loop() {
		b.StopTimer()
		m, fake, _ := fakeEngine(b, files)
		ctx, cancel := context.WithCancel(context.Background())
		go exitOnSignal(ctx, fake)
		for _, n := range []string{"capsule@fake.target", "s0.service", "s1.service", "s2.service"} {
			if _, err := m.Start(ctx, n); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		m.Shutdown(ctx)
		b.StopTimer()
		cancel()
		b.StartTimer()
	}
}
