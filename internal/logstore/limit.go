package logstore

import (
	"bufio"
	"bytes"
	"io"
	"sync"
	"time"
)

// Limiter lets at most Burst lines through per Interval, as journald's
// per-service rate limit does; what it drops is counted and reported once
// the interval is over.
type Limiter struct {
	interval time.Duration
	burst    int
	report   func(suppressed int)
	pause    time.Duration // between chunks of a suppressed stream

	mu         sync.Mutex
	begin      time.Time // start of the current window
	n          int       // lines let through in it
	suppressed int
	timer      *time.Timer
}

// NewLimiter returns a limiter that calls report (from its own goroutine)
// with the number of dropped lines at the end of each window in which it
// dropped any. A zero interval or burst means no limit: nil is returned.
func NewLimiter(interval time.Duration, burst int, report func(suppressed int)) *Limiter {
	if interval <= 0 || burst <= 0 {
		return nil
	}
	return &Limiter{interval: interval, burst: burst, report: report, pause: suppressedPause}
}

// Allow reports whether a line arriving at now may be kept.
func (l *Limiter) Allow(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.begin.IsZero() || now.Sub(l.begin) >= l.interval {
		l.begin, l.n = now, 0
	}
	if l.n < l.burst {
		l.n++
		return true
	}
	l.dropLocked(1)
	return false
}

// Suppressing reports whether lines arriving at now would be dropped.
func (l *Limiter) Suppressing(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.begin.IsZero() && now.Sub(l.begin) < l.interval && l.n >= l.burst
}

// Drop counts n lines dropped without being looked at one by one.
func (l *Limiter) Drop(n int) {
	if n == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropLocked(n)
}

func (l *Limiter) dropLocked(n int) {
	l.suppressed += n
	if l.timer == nil {
		// Reported when the window ends, even if nothing follows.
		l.timer = time.AfterFunc(time.Until(l.begin.Add(l.interval)), l.flush)
	}
}

func (l *Limiter) flush() {
	l.mu.Lock()
	n := l.suppressed
	l.suppressed, l.timer = 0, nil
	l.mu.Unlock()
	if n > 0 {
		l.report(n)
	}
}

// While a stream is suppressed, its reader takes one chunk per pause: the
// writer is held to 320 KB/s, and the reader wakes for at most that much
// output (every small write of the writer wakes the reader's poller, so
// draining as fast as it comes would cost the reader a CPU for nothing).
const (
	suppressedPause = 200 * time.Millisecond
	suppressedChunk = 64 << 10
)

// CopyLimited is Copy with a rate limit: lines beyond lim's burst are
// dropped and counted, and while they are, the stream is drained in large
// chunks at a bounded rate rather than line by line. lim may be nil.
func CopyLimited(rd io.Reader, add func([]string), lim *Limiter) {
	if lim == nil {
		Copy(rd, add)
		return
	}
	br := bufio.NewReaderSize(rd, 4096)
	var chunk []byte
	var batch []string
	flush := func() {
		if len(batch) > 0 {
			add(batch)
			batch = batch[:0]
		}
	}
	partial := false // the last chunk dropped ended inside a line
	defer func() {
		flush()
		if partial {
			lim.Drop(1) // an unterminated last line
		}
	}()
	for {
		now := time.Now()
		if lim.Suppressing(now) {
			flush()
			if chunk == nil {
				chunk = make([]byte, suppressedChunk)
			}
			n, err := br.Read(chunk)
			lim.Drop(bytes.Count(chunk[:n], []byte{'\n'}))
			if n > 0 {
				partial = chunk[n-1] != '\n'
			}
			if err != nil {
				return
			}
			time.Sleep(lim.pause)
			continue
		}
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			complete := line[len(line)-1] == '\n'
			switch {
			case partial:
				// The rest of a line whose start was dropped.
				if complete {
					lim.Drop(1)
				}
			case lim.Allow(now):
				batch = append(batch, string(bytes.TrimSuffix(line, []byte{'\n'})))
			}
			partial = !complete && partial
		}
		if err != nil || !lineBuffered(br) {
			flush() // before a read that may block
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return
		}
	}
}
