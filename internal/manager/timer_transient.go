package manager

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/capsuled/capsuled/internal/unitconf"
)

// startTransientTimer writes and starts the transient timer of a
// transient service svc (capsulectl run --on-*), named as the service:
// the timer, not the call, starts the service.
func (m *Manager) startTransientTimer(ctx context.Context, p TransientSpec, svc *Unit) (*Transient, error) {
	name := strings.TrimSuffix(svc.name, ".service") + ".timer"
	fail := func(err error) (*Transient, error) {
		m.collect(svc)
		return nil, err
	}
	// Checked before the service was made too; a timer may have come
	// since.
	if err := m.transientFree(name); err != nil {
		return fail(err)
	}
	file := filepath.Join(m.cfg.RuntimeDir, "transient", name)
	text, err := transientTimerFile(p, svc.name)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", errInvalid, err))
	}
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		return fail(fmt.Errorf("write transient unit: %w", err))
	}
	t, err := m.Start(context.WithoutCancel(ctx), name)
	if err != nil {
		if t != nil {
			m.collect(t)
		}
		os.Remove(file)
		return fail(err)
	}
	return &Transient{Unit: svc.name, Timer: name, m: m, u: svc}, nil
}

// transientTimerFile renders the timer: its description is the
// service's, as systemd-run gives it.
func transientTimerFile(p TransientSpec, service string) (string, error) {
	desc := p.Description
	if desc == "" {
		desc = "[capsulectl run] " + strings.Join(p.Argv, " ")
	}
	unitSec := []string{"Description=" + escapeValue(desc)}
	// As systemd-run's: gone once nothing is left to fire.
	timerSec := []string{"Unit=" + service, "RemainAfterElapse=no"}
	for _, prop := range p.Timer {
		k, v, ok := strings.Cut(prop, "=")
		if !ok || strings.ContainsAny(prop, "\n") {
			return "", fmt.Errorf("timer property %q is not KEY=VALUE", prop)
		}
		switch {
		case unitconf.Known("Timer", k):
			timerSec = append(timerSec, k+"="+v)
		case unitconf.Known("Unit", k):
			unitSec = append(unitSec, k+"="+v)
		default:
			return "", fmt.Errorf("unknown timer property %s=", k)
		}
	}
	return "# Transient unit\n[Unit]\n" + strings.Join(unitSec, "\n") + "\n\n[Timer]\n" + strings.Join(timerSec, "\n") + "\n", nil
}

// collectTransientTimer unloads a transient timer that went inactive on
// its own, then the transient service it started once that is down.
func (m *Manager) collectTransientTimer(u *Unit, target string) {
	m.collect(u)
	m.mu.Lock()
	svc := m.units[target]
	m.mu.Unlock()
	if svc != nil {
		m.collect(svc)
	}
}
