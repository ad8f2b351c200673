package unitconf

import (
	"testing"
)

func init() {
	for k, s := range map[string]sample{
		"Socket.ExecStartPre":            {lines: "ListenStream=/s\nExecStartPre=-/bin/echo %N", prop: "ExecStartPre", want: "{ path=/bin/echo ; argv[]=/bin/echo x ; ignore_errors=yes ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"},
		"Socket.ExecStartPost":           {lines: "ListenStream=/s\nExecStartPost=/bin/true", prop: "ExecStartPost", want: "{ path=/bin/true ; argv[]=/bin/true ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"},
		"Socket.ExecStopPre":             {lines: "ListenStream=/s\nExecStopPre=/bin/true", prop: "ExecStopPre", want: "{ path=/bin/true ; argv[]=/bin/true ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"},
		"Socket.ExecStopPost":            {lines: "ListenStream=/s\nExecStopPost=/bin/true", prop: "ExecStopPost", want: "{ path=/bin/true ; argv[]=/bin/true ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"},
		"Socket.TimeoutSec":              {lines: "ListenStream=/s\nTimeoutSec=7", prop: "TimeoutUSec", want: "7s"},
		"Socket.TriggerLimitIntervalSec": {lines: "ListenStream=/s\nTriggerLimitIntervalSec=500ms", prop: "TriggerLimitIntervalUSec", want: "500ms"},
		"Socket.TriggerLimitBurst":       {lines: "ListenStream=/s\nTriggerLimitBurst=3", prop: "TriggerLimitBurst", want: "3"},
		"Socket.PollLimitIntervalSec":    {lines: "ListenStream=/s\nPollLimitIntervalSec=5s", prop: "PollLimitIntervalUSec", want: "5s"},
		"Socket.PollLimitBurst":          {lines: "ListenStream=/s\nPollLimitBurst=3", prop: "PollLimitBurst", want: "3"},
	} {
		samples[k] = s
	}
}

// TestSocketLimits: the trigger and poll limits as systemd 257 shows them,
// defaults depending on Accept=, an empty value back to the default.
func TestSocketLimits(t *testing.T) {
	tests := []struct {
		body   string
		accept bool
		want   map[string]string
	}{
		{"", false, map[string]string{"TimeoutUSec": "1min 30s", "TriggerLimitIntervalUSec": "2s", "TriggerLimitBurst": "20", "PollLimitIntervalUSec": "2s", "PollLimitBurst": "15"}},
		{"", true, map[string]string{"TriggerLimitBurst": "200", "PollLimitBurst": "150"}},
		{"TriggerLimitIntervalSec=10s\nTriggerLimitBurst=3", true, map[string]string{"TriggerLimitIntervalUSec": "10s", "TriggerLimitBurst": "3", "PollLimitBurst": "150"}},
		{"TriggerLimitIntervalSec=0\nPollLimitBurst=0", false, map[string]string{"TriggerLimitIntervalUSec": "0", "PollLimitBurst": "0"}},
		{"TriggerLimitBurst=3\nTriggerLimitBurst=", false, map[string]string{"TriggerLimitBurst": "20"}},
		{"TimeoutSec=0", false, map[string]string{"TimeoutUSec": "infinity"}},
		{"TimeoutSec=5\nTimeoutSec=", false, map[string]string{"TimeoutUSec": "1min 30s"}},
		{"PollLimitIntervalSec=5s\nPollLimitIntervalSec=", false, map[string]string{"PollLimitIntervalUSec": "2s"}},
	}
	for _, tt := range tests {
		u := mustParse(t, "foo.socket", "[Socket]\nListenStream=/run/foo.sock\n"+tt.body+"\n")
		u.Socket.Accept = tt.accept
		got := map[string]string{}
		for _, p := range Properties(u) {
			got[p.Name] = p.Value
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%q accept=%v: %s=%q, want %q", tt.body, tt.accept, k, got[k], v)
			}
		}
	}
}
