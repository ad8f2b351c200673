package manager

import "testing"

func TestStateNames(t *testing.T) {
	tests := []struct {
		got  interface{ String() string }
		want string
	}{
		{stateInactive, "inactive"},
		{stateActive, "active"},
		{stateActivating, "activating"},
		{stateDeactivating, "deactivating"},
		{stateFailed, "failed"},
		{stateMaintenance, "maintenance"},
		{stateReloading, "reloading"},
		{ActiveState(200), "(200)"},
		{subDead, "dead"},
		{subStopSigterm, "stop-sigterm"},
		{subAutoRestart, "auto-restart"},
		{subListening, "listening"},
		{loadLoaded, "loaded"},
		{loadNotFound, "not-found"},
		{loadBadSetting, "bad-setting"},
		{loadMasked, "masked"},
		{resultSuccess, "success"},
		{resultExitCode, "exit-code"},
		{resultCoreDump, "core-dump"},
		{resultStartLimitHit, "start-limit-hit"},
		{resultTriggerLimitHit, "trigger-limit-hit"},
		{resultServiceStartLimitHit, "service-start-limit-hit"},
	}
	for _, tt := range tests {
		if s := tt.got.String(); s != tt.want {
			t.Errorf("%T(%d).String() = %q, want %q", tt.got, tt.got, s, tt.want)
		}
	}
	// Every value up to the last has a name.
	for s := stateInactive; s <= stateReloading; s++ {
		if s.String()[0] == '(' {
			t.Errorf("ActiveState %d has no name", s)
		}
	}
	for s := subDead; s <= subActive; s++ {
		if s.String()[0] == '(' {
			t.Errorf("SubState %d has no name", s)
		}
	}
	for r := resultSuccess; r <= resultDependency; r++ {
		if r.String()[0] == '(' {
			t.Errorf("Result %d has no name", r)
		}
	}
}
