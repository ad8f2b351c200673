package unitconf

import (
	"errors"
	"testing"
	"time"
)

func init() {
	for k, v := range map[string]sample{
		// Values as systemd 257 shows them (observed-8-rs.md).
		"Service.SuccessExitStatus":         {lines: "SuccessExitStatus=3 SIGUSR1\nSuccessExitStatus=NOTRUNNING 1", prop: "SuccessExitStatus", want: "1 3 7 USR1"},
		"Service.RestartPreventExitStatus":  {lines: "RestartPreventExitStatus=5", prop: "RestartPreventExitStatus", want: "5"},
		"Service.RestartForceExitStatus":    {lines: "RestartForceExitStatus=7 TERM", prop: "RestartForceExitStatus", want: "7 TERM"},
		"Service.RestartSteps":              {lines: "RestartSteps=3", prop: "RestartSteps", want: "3"},
		"Service.RestartMaxDelaySec":        {lines: "RestartMaxDelaySec=2s", prop: "RestartMaxDelayUSec", want: "2s"},
		"Service.TimeoutAbortSec":           {lines: "TimeoutAbortSec=1", prop: "TimeoutAbortUSec", want: "1s"},
		"Service.RuntimeMaxSec":             {lines: "RuntimeMaxSec=1", prop: "RuntimeMaxUSec", want: "1s"},
		"Service.RuntimeRandomizedExtraSec": {lines: "RuntimeRandomizedExtraSec=500ms", prop: "RuntimeRandomizedExtraUSec", want: "500ms"},
		"Service.WatchdogSec":               {lines: "WatchdogSec=1", prop: "WatchdogUSec", want: "1s"},
		"Service.WatchdogSignal":            {lines: "WatchdogSignal=SIGKILL", prop: "WatchdogSignal", want: "9"},
		"Service.SendSIGHUP":                {lines: "SendSIGHUP=yes", prop: "SendSIGHUP", want: "yes"},
		"Service.SendSIGKILL":               {lines: "SendSIGKILL=no", prop: "SendSIGKILL", want: "no"},
		"Service.FinalKillSignal":           {lines: "FinalKillSignal=SIGQUIT", prop: "FinalKillSignal", want: "3"},
		"Service.RestartKillSignal":         {lines: "RestartKillSignal=SIGINT", prop: "RestartKillSignal", want: "2"},
	} {
		samples[k] = v
	}
}

func TestStopSettings(t *testing.T) {
	for _, tc := range []struct {
		name, body, prop, want string
	}{
		// systemd 257's defaults.
		{"restart signal follows kill signal", "ExecStart=/bin/a\nKillSignal=SIGINT", "RestartKillSignal", "2"},
		{"final default", "ExecStart=/bin/a", "FinalKillSignal", "9"},
		{"sigkill default", "ExecStart=/bin/a", "SendSIGKILL", "yes"},
		{"abort follows stop", "ExecStart=/bin/a\nTimeoutStopSec=2", "TimeoutAbortUSec", "2s"},
		{"abort own", "ExecStart=/bin/a\nTimeoutStopSec=2\nTimeoutAbortSec=infinity", "TimeoutAbortUSec", "infinity"},
		{"abort reset", "ExecStart=/bin/a\nTimeoutStopSec=2\nTimeoutAbortSec=5\nTimeoutAbortSec=", "TimeoutAbortUSec", "2s"},
		{"runtime default", "ExecStart=/bin/a", "RuntimeMaxUSec", "infinity"},
		{"watchdog default", "ExecStart=/bin/a", "WatchdogUSec", "0"},
		{"watchdog signal default", "ExecStart=/bin/a", "WatchdogSignal", "6"},
		// Observed in systemd 257 (rs18-rs21).
		{"notify access none on notify", "Type=notify\nExecStart=/bin/a\nNotifyAccess=none", "NotifyAccess", "main"},
		{"watchdog implies main", "ExecStart=/bin/a\nWatchdogSec=3", "NotifyAccess", "main"},
		{"notify access all", "ExecStart=/bin/a\nNotifyAccess=all", "NotifyAccess", "all"},
		{"notify access default", "ExecStart=/bin/a", "NotifyAccess", "none"},
		{"max delay default", "ExecStart=/bin/a", "RestartMaxDelayUSec", "infinity"},
		{"killmode none", "ExecStart=/bin/a\nKillMode=none", "KillMode", "none"},
		{"success empty", "ExecStart=/bin/a\nSuccessExitStatus=3\nSuccessExitStatus=", "SuccessExitStatus", ""},
		{"success bad word skipped", "ExecStart=/bin/a\nSuccessExitStatus=3 bogus 300", "SuccessExitStatus", "3"},
		{"oneshot start timeout", "Type=oneshot\nExecStart=/bin/a", "TimeoutStartUSec", "infinity"},
		{"oneshot start timeout set", "Type=oneshot\nExecStart=/bin/a\nTimeoutSec=5", "TimeoutStartUSec", "5s"},
		{"simple start timeout", "ExecStart=/bin/a", "TimeoutStartUSec", "1min 30s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _, err := parse(t, "x.service", "[Service]\n"+tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if got := property(t, u, tc.prop); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.prop, got, tc.want)
			}
		})
	}
}

func TestOneshotRestartRefused(t *testing.T) {
	for _, tc := range []struct {
		restart string
		refused bool
	}{{"always", true}, {"on-success", true}, {"on-failure", false}, {"on-abnormal", false}, {"no", false}} {
		_, _, err := service(t, "Type=oneshot\nExecStart=/bin/a\nRestart="+tc.restart+"\n")
		var r *Refused
		if got := errors.As(err, &r); got != tc.refused {
			t.Errorf("Restart=%s: refused %v (%v), want %v", tc.restart, got, err, tc.refused)
		}
		if tc.refused && r.Msg != "Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing." {
			t.Errorf("Restart=%s: %q", tc.restart, r.Msg)
		}
	}
}

func TestExitStatusSetHas(t *testing.T) {
	s := ExitStatusSet{Status: []int{3}, Signals: []int{10}}
	for _, tc := range []struct {
		code   string
		status int
		want   bool
	}{{"exited", 3, true}, {"exited", 10, false}, {"killed", 10, true}, {"dumped", 10, true}, {"killed", 3, false}, {"", 3, false}} {
		if got := s.Has(tc.code, tc.status); got != tc.want {
			t.Errorf("Has(%s, %d) = %v", tc.code, tc.status, got)
		}
	}
}

// The delays systemd 257 used for RestartSec=200ms RestartSteps=3
// RestartMaxDelaySec=2s, before its 250 ms event coalescing: 200, 431,
// 928 ms, then 2 s.
func TestNextRestartDelay(t *testing.T) {
	s := &Service{RestartDelay: 200 * time.Millisecond, Stop: Stop{RestartSteps: 3, RestartMaxDelay: 2 * time.Second}}
	for n, want := range []time.Duration{200 * time.Millisecond, 430887 * time.Microsecond, 928318 * time.Microsecond, 2 * time.Second, 2 * time.Second} {
		got := s.NextRestartDelay(n).Round(time.Microsecond)
		if d := got - want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("restart %d: %s, want %s", n, got, want)
		}
	}
	flat := &Service{RestartDelay: time.Second, Stop: Stop{RestartSteps: 3}}
	if got := flat.NextRestartDelay(2); got != time.Second {
		t.Errorf("no max: %s", got)
	}
}

// systemd 257 warns about KillMode=none at load, not about process.
func TestKillModeWarning(t *testing.T) {
	for mode, want := range map[string]int{"none": 1, "process": 0, "mixed": 0} {
		_, w, err := service(t, "ExecStart=/bin/a\nKillMode="+mode+"\n")
		if err != nil || len(w) != want {
			t.Fatalf("KillMode=%s: %v %v", mode, w, err)
		}
		if want == 1 && w[0].Msg != "Unit uses KillMode=none. This is unsafe, as it disables systemd's process lifecycle management for the service. Please update the service to use a safer KillMode=, such as 'mixed' or 'control-group'. Support for KillMode=none is deprecated and will eventually be removed." {
			t.Errorf("warning: %q", w[0].Msg)
		}
	}
}
