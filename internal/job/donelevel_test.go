package job

import "testing"

func TestDoneLevel(t *testing.T) {
	for _, tt := range []struct {
		r    Result
		want int
	}{
		{ResultDone, 6},
		{ResultCanceled, 6},
		{ResultFailed, 3}, // "Failed to start X." at err in systemd 257
		{ResultTimeout, 3},
		{ResultDependency, 4},
		{ResultAssert, 4},
		{ResultSkipped, 5},
		{ResultCollected, 6},
		{ResultOnce, 3},
	} {
		if got := DoneLevel(tt.r); got != tt.want {
			t.Errorf("DoneLevel(%s) = %d, want %d", tt.r, got, tt.want)
		}
	}
}
