package manager

import "testing"

func TestExitStatusText(t *testing.T) {
	for _, tt := range []struct {
		code   string
		status int
		want   string
	}{
		{"killed", 15, "15/TERM"},
		{"dumped", 11, "11/SEGV"},
		{"exited", 1, "1/FAILURE"},
		{"exited", 203, "203/EXEC"},
		{"exited", 217, "217/USER"},
		{"exited", 42, "42/n/a"},
	} {
		if got := exitStatusText(tt.code, tt.status); got != tt.want {
			t.Errorf("exitStatusText(%s, %d) = %q, want %q", tt.code, tt.status, got, tt.want)
		}
	}
}

func TestExitLevel(t *testing.T) {
	for _, tt := range []struct {
		code string
		want int
	}{
		{"exited", 5}, // systemd 257: status=3/NOTIMPLEMENTED at notice
		{"killed", 4}, // code=killed, status=15/TERM at warning
		{"dumped", 4},
	} {
		if got := exitLevel(tt.code); got != tt.want {
			t.Errorf("exitLevel(%s) = %d, want %d", tt.code, got, tt.want)
		}
	}
}
