package manager

import (
	"context"
	"fmt"
	"path/filepath"
)

// kind is what differs between unit types: how a unit of it starts and
// stops and where its processes live. The engine around it (jobs,
// dependencies, states) is the same for all.
type kind interface {
	// typeName is the unit name suffix: service, socket, target, slice.
	typeName() string
	// start does the kind's part of a start job and returns when the
	// unit is active, or with the error that left it failed.
	start(ctx context.Context, u *Unit) error
	// stop does the kind's part of a stop job; the unit is inactive or
	// failed when it returns.
	stop(ctx context.Context, u *Unit)
	// cgroup is the unit's cgroup relative to the hierarchy root, "" for
	// kinds that have none.
	cgroup(u *Unit) string
}

// kindFor returns the kind of unit type typ, nil if it is not supported.
func (m *Manager) kindFor(typ string) kind {
	switch typ {
	case "service":
		return serviceKind{m}
	case "socket":
		return socketKind{m}
	case "target":
		return targetKind{m}
	case "slice":
		return sliceKind{m}
	case "timer":
		return timerKind{m}
	case "path":
		return pathKind{m}
	}
	return nil
}

// cgroupPath is the unit's cgroup relative to the hierarchy root.
func (m *Manager) cgroupPath(u *Unit) string { return u.kind.cgroup(u) }

type serviceKind struct{ m *Manager }

func (serviceKind) typeName() string { return "service" }

func (k serviceKind) start(ctx context.Context, u *Unit) error { return k.m.startService(ctx, u) }

func (k serviceKind) stop(ctx context.Context, u *Unit) { k.m.stopService(ctx, u) }

func (k serviceKind) cgroup(u *Unit) string {
	return filepath.Join(k.m.cfg.CgroupBase, slicePath(u.slice), u.name)
}

type socketKind struct{ m *Manager }

func (socketKind) typeName() string { return "socket" }

func (k socketKind) start(ctx context.Context, u *Unit) error { return k.m.startSocketUnit(ctx, u) }

func (k socketKind) stop(_ context.Context, u *Unit) { k.m.stopSocketUnit(u) }

// cgroup: only a socket unit with commands to run has one.
func (k socketKind) cgroup(u *Unit) string {
	if u.svc == nil {
		return ""
	}
	return filepath.Join(k.m.cfg.CgroupBase, slicePath(u.slice), u.name)
}

type targetKind struct{ m *Manager }

func (targetKind) typeName() string { return "target" }

func (k targetKind) start(_ context.Context, u *Unit) error {
	k.m.mu.Lock()
	u.setState(stateActive, subActive)
	k.m.mu.Unlock()
	k.m.logf(u, "Reached target %s.", u.ident())
	return nil
}

func (k targetKind) stop(_ context.Context, u *Unit) {
	k.m.mu.Lock()
	u.setState(stateInactive, subDead)
	k.m.mu.Unlock()
	k.m.logf(u, "Stopped target %s.", u.ident())
}

func (targetKind) cgroup(*Unit) string { return "" }

type sliceKind struct{ m *Manager }

func (sliceKind) typeName() string { return "slice" }

func (k sliceKind) start(_ context.Context, u *Unit) error {
	if err := k.m.cfg.Cgroups.Create(k.cgroup(u)); err != nil {
		k.m.fail(u, resultResources)
		return fmt.Errorf("start %s: %w", u.name, err)
	}
	k.m.mu.Lock()
	u.setState(stateActive, subActive)
	k.m.mu.Unlock()
	k.m.logf(u, "Created slice %s.", u.ident())
	return nil
}

func (k sliceKind) stop(_ context.Context, u *Unit) {
	if err := k.m.cfg.Cgroups.RemoveTree(k.cgroup(u)); err != nil {
		k.m.logf(u, "%s: %v", u.name, err)
	}
	k.m.releaseV1Slice(u)
	k.m.mu.Lock()
	u.setState(stateInactive, subDead)
	k.m.mu.Unlock()
	k.m.logf(u, "Removed slice %s.", u.ident())
}

func (k sliceKind) cgroup(u *Unit) string {
	return filepath.Join(k.m.cfg.CgroupBase, slicePath(u.name))
}
