package manager

import (
	"context"
	"errors"
	"testing"
)

// TestConditionsWithFakeProcesses: a unit whose condition fails is skipped
// (the start succeeds, nothing is spawned, the unit stays inactive), its
// requirements start anyway and so does a unit requiring it; a failed
// assert fails the start with ErrAssert; ConditionEnvironment= sees the
// manager's environment, not the process's.
func TestConditionsWithFakeProcesses(t *testing.T) {
	t.Setenv("ONLY_IN_PROCESS", "1")
	oneshot := "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n"
	m, fake, _ := fakeEngine(t, map[string]string{
		"skip.service":   "[Unit]\nRequires=dep.target\nConditionPathExists=/nonexistent\n" + oneshot,
		"dep.target":     "[Unit]\nDescription=Dep\n",
		"needs.target":   "[Unit]\nRequires=skip.service\n",
		"env.service":    "[Unit]\nConditionEnvironment=PATH=/usr/bin:/bin\nConditionEnvironment=!ONLY_IN_PROCESS\n" + oneshot,
		"assert.service": "[Unit]\nConditionPathExists=/\nAssertPathExists=!/\n" + oneshot,
	})
	ctx := context.Background()
	cases := []struct {
		unit             string
		active           string
		condOK, assertOK bool
		assertErr        bool
	}{
		{"skip.service", "inactive", false, false, false},
		{"dep.target", "active", true, true, false},
		{"needs.target", "active", true, true, false},
		{"assert.service", "inactive", true, false, true},
	}
	for _, c := range cases {
		u, err := m.Start(ctx, c.unit)
		if c.assertErr != errors.Is(err, ErrAssert) || (!c.assertErr && err != nil) {
			t.Fatalf("start %s: %v", c.unit, err)
		}
		if a, _, r := unitState(m, u); a.String() != c.active || (r != "" && r != "success") {
			t.Errorf("%s: %s (result %q), want %s", c.unit, a, r, c.active)
		}
		info, ok := m.Conditions(c.unit)
		if !ok || info.ConditionResult != c.condOK || info.AssertResult != c.assertOK || info.ConditionTimestamp.IsZero() {
			t.Errorf("%s: %+v", c.unit, info)
		}
	}
	if info, _ := m.Conditions("skip.service"); len(info.Unmet) != 1 || info.Unmet[0] != "ConditionPathExists=/nonexistent was not met" {
		t.Errorf("skip.service unmet: %q", info.Unmet)
	}
	if info, _ := m.Conditions("assert.service"); info.AssertUnmet != "AssertPathExists=!/ was not met" {
		t.Errorf("assert.service: %q", info.AssertUnmet)
	}
	select {
	case p := <-fake.Spawned:
		t.Fatalf("a skipped unit spawned %v", p)
	default:
	}
	done := make(chan error, 1)
	go func() { _, err := m.Start(ctx, "env.service"); done <- err }()
	p := spawned(t, fake)
	p.ExitCode(0)
	if err := <-done; err != nil {
		t.Fatalf("start env.service: %v", err)
	}
}
