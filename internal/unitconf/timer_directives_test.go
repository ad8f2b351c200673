package unitconf

import (
	"strings"
	"testing"
)

func init() {
	const base = "OnActiveSec=1h\n"
	for k, s := range map[string]sample{
		"Timer.OnActiveSec":        {lines: "OnActiveSec=1h", prop: "TimersMonotonic", want: "{ OnActiveUSec=1h ; next_elapse=0 }"},
		"Timer.OnBootSec":          {lines: "OnBootSec=15min", prop: "TimersMonotonic", want: "{ OnBootUSec=15min ; next_elapse=0 }"},
		"Timer.OnStartupSec":       {lines: "OnStartupSec=90", prop: "TimersMonotonic", want: "{ OnStartupUSec=1min 30s ; next_elapse=0 }"},
		"Timer.OnUnitActiveSec":    {lines: "OnUnitActiveSec=1d\nOnUnitActiveSec=2s", prop: "TimersMonotonic", want: "{ OnUnitActiveUSec=2s ; next_elapse=0 }\n{ OnUnitActiveUSec=1d ; next_elapse=0 }"},
		"Timer.OnUnitInactiveSec":  {lines: "OnActiveSec=5\nOnUnitInactiveSec=\nOnUnitInactiveSec=500ms", prop: "TimersMonotonic", want: "{ OnUnitInactiveUSec=500ms ; next_elapse=0 }"},
		"Timer.OnCalendar":         {lines: "OnCalendar=daily\nOnCalendar=Mon..Fri *-*-* 8:00 UTC", prop: "TimersCalendar", want: "{ OnCalendar=Mon..Fri *-*-* 08:00:00 UTC ; next_elapse=n/a }\n{ OnCalendar=*-*-* 00:00:00 ; next_elapse=n/a }"},
		"Timer.OnClockChange":      {lines: "OnClockChange=yes", prop: "OnClockChange", want: "yes"},
		"Timer.OnTimezoneChange":   {lines: "OnTimezoneChange=yes", prop: "OnTimezoneChange", want: "yes"},
		"Timer.Unit":               {lines: base + "Unit=%N-job.service", prop: "Unit", want: "x-job.service"},
		"Timer.AccuracySec":        {lines: base + "AccuracySec=1s", prop: "AccuracyUSec", want: "1s"},
		"Timer.RandomizedDelaySec": {lines: base + "RandomizedDelaySec=30min", prop: "RandomizedDelayUSec", want: "30min"},
		"Timer.FixedRandomDelay":   {lines: base + "FixedRandomDelay=yes", prop: "FixedRandomDelay", want: "yes"},
		"Timer.Persistent":         {lines: base + "Persistent=true", prop: "Persistent", want: "yes"},
		"Timer.WakeSystem":         {lines: base + "WakeSystem=no", prop: "WakeSystem", want: "no"},
		"Timer.RemainAfterElapse":  {lines: base + "RemainAfterElapse=no", prop: "RemainAfterElapse", want: "no"},
		"Timer.DeferReactivation":  {lines: base + "DeferReactivation=yes", prop: "DeferReactivation", want: "yes"},
	} {
		s.unit = "x.timer"
		samples[k] = s
	}
}

func TestTimerDefaults(t *testing.T) {
	u := mustParse(t, "backup.timer", "[Timer]\nOnActiveSec=1h\n")
	want := map[string]string{"Unit": "backup.service", "AccuracyUSec": "1min", "RandomizedDelayUSec": "0",
		"RemainAfterElapse": "yes", "Persistent": "no", "WakeSystem": "no", "OnClockChange": "no"}
	for p, v := range want {
		if got := property(t, u, p); got != v {
			t.Errorf("%s=%q, want %q", p, got, v)
		}
	}
}

// TestTimerBadInput: a bad value warns with file and line and is
// ignored; a timer left without any trigger is refused, as systemd does.
func TestTimerBadInput(t *testing.T) {
	tests := []struct {
		lines   string
		warn    string
		refused string
	}{
		{lines: "OnActiveSec=soon\nOnBootSec=1h", warn: "/u/x.timer:2: Failed to parse timer value, ignoring: soon"},
		{lines: "OnActiveSec=1h\nUnit=y.timer", warn: "/u/x.timer:3: Failed to parse Unit= value, ignoring: y.timer (unit cannot be of type timer)"},
		{lines: "OnActiveSec=1h\nWakeSystem=yes", warn: "/u/x.timer:3: Unsupported in capsuled: WakeSystem=yes: capsuled does not wake the system from suspend; ignoring."},
		{lines: "OnActiveSec=1h\nAccuracySec=x", warn: "/u/x.timer:3: Failed to parse AccuracySec= value, ignoring: x"},
		{lines: "OnActiveSec=1h\nOnCalendar=Mon 25:00", warn: "/u/x.timer:3: Failed to parse calendar specification, ignoring: Mon 25:00"},
		{lines: "OnActiveSec=soon", refused: "Timer unit lacks value setting. Refusing."},
		{lines: "OnActiveSec=1h\nOnActiveSec=", refused: "Timer unit lacks value setting. Refusing."},
		{lines: "OnCalendar=daily\nOnActiveSec=", refused: "Timer unit lacks value setting. Refusing."},
		{lines: "Persistent=yes", refused: "Timer unit lacks value setting. Refusing."},
	}
	for _, tc := range tests {
		_, w, err := parse(t, "x.timer", "[Timer]\n"+tc.lines+"\n")
		if tc.refused != "" {
			if err == nil || err.Error() != tc.refused {
				t.Errorf("%q: err %v, want %q", tc.lines, err, tc.refused)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: refused: %v", tc.lines, err)
			continue
		}
		if len(w) != 1 || !strings.HasPrefix(w[0].String(), tc.warn) {
			t.Errorf("%q: warnings %v, want %q", tc.lines, w, tc.warn)
		}
	}
}
