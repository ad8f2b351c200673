package manager

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/process/processtest"
)

// TestTypeDbusReadiness: a Type=dbus service is ready once a bus face
// reports its BusName= owned (or owned already when it starts); losing the
// name while running stops it cleanly; a main process ending first fails
// the start; with no bus to learn names from, the start fails at once.
func TestTypeDbusReadiness(t *testing.T) {
	const unitText = "[Service]\nType=dbus\nBusName=org.x.A\nExecStart=/bin/sleep infinity\nTimeoutStartSec=30s\n"
	for _, tt := range []struct {
		name    string
		before  func(m *Manager)
		act     func(m *Manager, p *processtest.Proc)
		wantErr string
		state   ActiveState
	}{
		{name: "name taken later", act: func(m *Manager, _ *processtest.Proc) {
			m.BusNameOwner("org.x.B", ":1.4") // another name: still starting
			m.BusNameOwner("org.x.A", ":1.5")
		}, state: stateActive},
		{name: "name owned before", before: func(m *Manager) { m.BusNames(map[string]string{"org.x.A": ":1.2"}) }, state: stateActive},
		{name: "main exits first", act: func(m *Manager, p *processtest.Proc) { p.ExitCode(1) },
			wantErr: "main process exited before it was ready", state: stateFailed},
		{name: "main exits 0 first", act: func(m *Manager, p *processtest.Proc) { p.ExitCode(0) }, state: stateInactive},
		{name: "no bus", before: func(m *Manager) { m.SetBusCheck(func() error { return errors.New("no system bus") }) },
			wantErr: "Type=dbus needs a bus to see org.x.A on: no system bus", state: stateFailed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, fake, _ := fakeEngine(t, map[string]string{"a.service": unitText})
			if tt.before != nil {
				tt.before(m)
			}
			done := make(chan error, 1)
			go func() {
				_, err := m.Start(context.Background(), "a.service")
				done <- err
			}()
			if tt.act != nil {
				p := spawned(t, fake)
				u := m.units["a.service"]
				waitState(t, m, u, stateActivating)
				tt.act(m, p)
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("start did not end")
			}
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("start: %v, want %q", err, tt.wantErr)
			}
			waitState(t, m, m.units["a.service"], tt.state)
		})
	}
	t.Run("name lost while running", func(t *testing.T) {
		m, fake, _ := fakeEngine(t, map[string]string{"a.service": unitText})
		m.BusNames(map[string]string{"org.x.A": ":1.2"})
		u, err := m.Start(context.Background(), "a.service")
		if err != nil {
			t.Fatal(err)
		}
		p := spawned(t, fake)
		m.BusNameOwner("org.x.A", "")
		waitState(t, m, u, stateDeactivating)
		p.Kill(syscall.SIGTERM)
		waitState(t, m, u, stateInactive)
		if _, _, res := unitState(m, u); res != "success" {
			t.Errorf("result %s, want success", res)
		}
	})
}

// TestUnitLoads: a unit that loads, one refused, one missing; asking
// keeps none of them loaded.
func TestUnitLoads(t *testing.T) {
	m, _, _ := fakeEngine(t, map[string]string{
		"good.service": "[Service]\nExecStart=/bin/true\n",
		"bad.service":  "[Service]\nType=dbus\nExecStart=/bin/true\n",
	})
	for name, want := range map[string]bool{"good.service": true, "bad.service": false, "missing.service": false,
		"tmpl@.service": false, "not a unit": false} {
		if got := m.UnitLoads(name); got != want {
			t.Errorf("UnitLoads(%q) = %v, want %v", name, got, want)
		}
		if _, ok := m.units[name]; ok {
			t.Errorf("%s stayed loaded", name)
		}
	}
}
