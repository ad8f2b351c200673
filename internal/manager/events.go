package manager

import (
	"context"
	"sync"
	"time"
)

// Event is one state change of a unit.
type Event struct {
	Unit     string
	Old, New ActiveState
	OldSub   SubState
	Sub      SubState
	// Result is the unit's result at the change; it matters when New is
	// failed or inactive.
	Result Result
	Time   time.Time
	unit   *Unit
}

// feed hands every state change to its subscribers, in the order the
// changes happened. Publishing never blocks (it runs under Manager.mu):
// each subscriber has a queue of its own that a slow reader lets grow
// rather than stall the engine.
type feed struct {
	mu   sync.Mutex
	subs map[*subscription]struct{}
	// sync, if set, sees every event first, under Manager.mu: the job
	// runner, which must end a job in the same step as its unit's state.
	sync func(Event)
}

// subscription is one reader of the feed.
type subscription struct {
	f      *feed
	mu     sync.Mutex
	queue  []Event
	wake   chan struct{} // one pending wake-up at most
	closed bool
}

func (f *feed) subscribe() *subscription {
	s := &subscription{f: f, wake: make(chan struct{}, 1)}
	f.mu.Lock()
	if f.subs == nil {
		f.subs = map[*subscription]struct{}{}
	}
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	return s
}

func (f *feed) publish(e Event) {
	if f.sync != nil {
		f.sync(e)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		s.mu.Lock()
		s.queue = append(s.queue, e)
		s.mu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// next returns the oldest undelivered event; ok is false once ctx ends or
// the subscription is closed.
func (s *subscription) next(ctx context.Context) (e Event, ok bool) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return Event{}, false
		}
		if len(s.queue) > 0 {
			e = s.queue[0]
			s.queue[0] = Event{}
			s.queue = s.queue[1:]
			if len(s.queue) == 0 {
				s.queue = nil // let the backing array go
			}
			s.mu.Unlock()
			return e, true
		}
		s.mu.Unlock()
		select {
		case <-s.wake:
		case <-ctx.Done():
			return Event{}, false
		}
	}
}

// close ends the subscription; events still queued are dropped.
func (s *subscription) close() {
	s.f.mu.Lock()
	delete(s.f.subs, s)
	s.f.mu.Unlock()
	s.mu.Lock()
	s.closed, s.queue = true, nil
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// setState records a state change and tells the feed's subscribers.
// Callers hold Manager.mu.
func (u *Unit) setState(active ActiveState, sub SubState) {
	old, oldSub := u.active, u.sub
	u.stamps.record(old, active)
	u.active, u.sub = active, sub
	u.since = u.stamps.change.wall
	if u.events != nil && (old != active || oldSub != sub) {
		u.events.publish(Event{Unit: u.name, Old: old, New: active, OldSub: oldSub, Sub: sub, Result: u.result,
			Time: u.since, unit: u})
	}
}
