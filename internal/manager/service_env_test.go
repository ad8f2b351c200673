package manager

import (
	"slices"
	"syscall"
	"testing"
)

func TestExitEnv(t *testing.T) {
	tests := []struct {
		ws   syscall.WaitStatus
		want []string
	}{
		{0, []string{"EXIT_CODE=exited", "EXIT_STATUS=0"}},
		{3 << 8, []string{"EXIT_CODE=exited", "EXIT_STATUS=3"}},
		{syscall.WaitStatus(syscall.SIGTERM), []string{"EXIT_CODE=killed", "EXIT_STATUS=TERM"}},
		{syscall.WaitStatus(syscall.SIGSEGV) | 0x80, []string{"EXIT_CODE=dumped", "EXIT_STATUS=SEGV"}},
	}
	for _, tt := range tests {
		if got := exitEnv(tt.ws); !slices.Equal(got, tt.want) {
			t.Errorf("exitEnv(%#x) = %q, want %q", uint32(tt.ws), got, tt.want)
		}
	}
}
