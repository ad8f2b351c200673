package busface

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/capsuled/capsuled/internal/manager"
	"github.com/capsuled/capsuled/internal/unit"
)

const (
	// maxActivations bounds the activations under way at once; the
	// broker asks once per unit however many callers wait for it.
	maxActivations = 64
	// activationWatch is how long a started unit is watched for failing
	// before its bus name appears; the broker's own timeout ends the
	// callers' wait after that.
	activationWatch = 2 * time.Minute
	// noOwner is the error the callers get, as from systemd 257's
	// broker in a capsule (observed).
	noOwner = "org.freedesktop.DBus.Error.NameHasNoOwner"
)

// activate answers the broker's ActivationRequest for unitName: the unit is
// started as if by hand; when that fails, ActivationFailure tells the
// broker at once, which fails the callers with its error.
func (f *Face) activate(c *dbus.Conn, unitName string) {
	f.mu.Lock()
	busy, full := f.active[unitName], len(f.active) >= maxActivations
	if !busy && !full {
		f.active[unitName] = true
	}
	f.mu.Unlock()
	switch {
	case busy:
		return // the running activation answers for every caller
	case full:
		f.fail(c, unitName, "activation request failed: too many activations under way")
		return
	}
	go func() {
		defer func() {
			f.mu.Lock()
			delete(f.active, unitName)
			f.mu.Unlock()
		}()
		if why := f.startUnit(unitName); why != "" {
			f.fail(c, unitName, why)
		}
	}()
}

// startUnit starts the unit and watches it until one of its bus names is
// owned; it returns why the activation failed, or "".
func (f *Face) startUnit(name string) string {
	if _, err := unit.ParseName(name); err != nil {
		return "activation request failed: unknown unit"
	}
	ctx, cancel := context.WithTimeout(context.Background(), activationWatch)
	defer cancel()
	named := f.waitNames(ctx, name, cancel)
	// Subscribed before the start, so no change of the unit is missed.
	next := f.m.Watch(ctx)
	j, err := f.m.Queue(ctx, manager.JobStart, name, "replace")
	if err != nil {
		if errors.Is(err, manager.ErrNoSuchUnit) {
			return "activation request failed: unknown unit"
		}
		return "activation request failed: " + manager.Message(err)
	}
	if _, err := j.Wait(ctx); err != nil {
		select {
		case <-named:
			return "" // the name came first, which ended the wait
		default:
		}
		return "startup job failed"
	}
	if st := f.m.ActiveState(name).String(); st == "failed" || st == "inactive" {
		return "unit failed"
	}
	for {
		select {
		case <-named:
			return ""
		default:
		}
		e, ok := next()
		if !ok {
			return "" // its name appeared, or the broker's timeout takes over
		}
		if e.Unit == name && (e.New.String() == "failed" || e.New.String() == "inactive") {
			return "unit failed"
		}
	}
}

// waitNames returns a channel closed once one of unit's bus names is owned,
// and then calls owned (which ends the activation's watch).
func (f *Face) waitNames(ctx context.Context, unitName string, owned func()) <-chan struct{} {
	f.mu.Lock()
	names := f.units[unitName]
	ws := make([]chan struct{}, 0, len(names))
	for _, n := range names {
		w := make(chan struct{})
		if f.owners[n] != "" {
			close(w)
		} else {
			f.waiters[n] = append(f.waiters[n], w)
		}
		ws = append(ws, w)
	}
	f.mu.Unlock()
	done := make(chan struct{})
	go func() {
		cases := make(chan struct{}, 1)
		for _, w := range ws {
			go func() {
				select {
				case <-w:
					select {
					case cases <- struct{}{}:
					default:
					}
				case <-ctx.Done():
				}
			}()
		}
		select {
		case <-cases:
			close(done)
			owned()
		case <-ctx.Done():
		}
		f.dropWaiters(ws)
	}()
	return done
}

func (f *Face) dropWaiters(ws []chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for name, list := range f.waiters {
		kept := list[:0]
		for _, w := range list {
			drop := false
			for _, x := range ws {
				drop = drop || w == x
			}
			if !drop {
				kept = append(kept, w)
			}
		}
		if len(kept) == 0 {
			delete(f.waiters, name)
		} else {
			f.waiters[name] = kept
		}
	}
}

// fail sends ActivationFailure for unitName to the broker, which fails
// every caller waiting for a name of that unit with this error.
func (f *Face) fail(c *dbus.Conn, unitName, why string) {
	f.mu.Lock()
	names := append([]string(nil), f.units[unitName]...)
	f.mu.Unlock()
	sort.Strings(names)
	peer := unitName
	if len(names) > 0 {
		peer = names[0]
	}
	msg := strings.ToValidUTF8(fmt.Sprintf("Could not activate remote peer '%s': %s", peer, why), "?")
	m := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldPath:        dbus.MakeVariant(dbus.ObjectPath("/org/freedesktop/systemd1")),
		dbus.FieldInterface:   dbus.MakeVariant(activator),
		dbus.FieldMember:      dbus.MakeVariant("ActivationFailure"),
		dbus.FieldDestination: dbus.MakeVariant(driverName),
		dbus.FieldSignature:   dbus.MakeVariant(dbus.SignatureOf("", "", "")),
	}, Body: []any{unitName, noOwner, msg}}
	c.Send(m, nil)
	f.log(fmt.Sprintf("bus: activation of %s failed: %s", unitName, why))
}

// setEnvironment answers SetEnvironment, the broker's forward of
// UpdateActivationEnvironment: the assignments join the manager's
// environment block. Only the broker may: another program of the capsule
// calling it directly is refused.
func (f *Face) setEnvironment(sender dbus.Sender, env []string) *dbus.Error {
	if string(sender) != driverName {
		return dbus.NewError("org.freedesktop.DBus.Error.AccessDenied", []any{"Only the bus may set the environment this way."})
	}
	if err := f.m.SetEnvironment(env); err != nil {
		return dbus.NewError("org.freedesktop.DBus.Error.InvalidArgs", []any{manager.Message(err)})
	}
	return nil
}
