package manager

import (
	"math"
	"testing"
	"time"
)

func TestRuntimeLimit(t *testing.T) {
	const inf = time.Duration(math.MaxInt64)
	all := func(d time.Duration) time.Duration { return d - 1 } // the largest draw
	for _, c := range []struct{ max, extra, want time.Duration }{
		{0, time.Second, 0},
		{time.Second, 0, time.Second},
		{time.Second, time.Second, 2*time.Second - 1},
		{inf, time.Second, inf},
		// RuntimeMaxSec= and RuntimeRandomizedExtraSec= of 2^63-1 µs each
		// overflowed to a negative limit, ending the service at once.
		{inf / 2, inf, inf},
		{inf - 1, inf, inf},
	} {
		if got := runtimeLimit(c.max, c.extra, all); got != c.want {
			t.Errorf("runtimeLimit(%d, %d) = %d, want %d", c.max, c.extra, got, c.want)
		}
	}
}

// EXTEND_TIMEOUT_USEC= takes up to 2^63-1 µs, which overflowed a Duration.
func TestUsecDuration(t *testing.T) {
	for us, want := range map[int64]time.Duration{
		0: 0, 1: time.Microsecond, 20e6: 20 * time.Second,
		math.MaxInt64 / 1000: math.MaxInt64, math.MaxInt64: math.MaxInt64,
	} {
		if got := usecDuration(us); got != want {
			t.Errorf("usecDuration(%d) = %d, want %d", us, got, want)
		}
	}
}
