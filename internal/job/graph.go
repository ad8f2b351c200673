package job

import (
	"fmt"
	"sort"
	"time"
)

// ActiveState is a unit's high-level state, as systemd's ActiveState= property.
type ActiveState int

const (
	UnitActive ActiveState = iota
	UnitReloading
	UnitInactive
	UnitFailed
	UnitActivating
	UnitDeactivating
	UnitMaintenance
	UnitRefreshing
)

var activeStateNames = [...]string{
	UnitActive:       "active",
	UnitReloading:    "reloading",
	UnitInactive:     "inactive",
	UnitFailed:       "failed",
	UnitActivating:   "activating",
	UnitDeactivating: "deactivating",
	UnitMaintenance:  "maintenance",
	UnitRefreshing:   "refreshing",
}

// String gives systemd's name of the state.
func (s ActiveState) String() string {
	if s >= 0 && int(s) < len(activeStateNames) {
		return activeStateNames[s]
	}
	return fmt.Sprintf("ActiveState(%d)", int(s))
}

// ActiveOrReloading is active, reloading or refreshing.
func (s ActiveState) ActiveOrReloading() bool {
	return s == UnitActive || s == UnitReloading || s == UnitRefreshing
}

// ActiveOrActivating is ActiveOrReloading or activating.
func (s ActiveState) ActiveOrActivating() bool {
	return s.ActiveOrReloading() || s == UnitActivating
}

// InactiveOrDeactivating is inactive, failed or deactivating.
func (s ActiveState) InactiveOrDeactivating() bool {
	return s == UnitInactive || s == UnitFailed || s == UnitDeactivating
}

// InactiveOrFailed is inactive or failed.
func (s ActiveState) InactiveOrFailed() bool {
	return s == UnitInactive || s == UnitFailed
}

// LoadState is how far a unit got loading, as far as jobs care.
type LoadState int

const (
	Loaded LoadState = iota
	NotFound
	BadSetting
	LoadError
	Masked
)

// Dependency is one kind of dependency between units, named as systemd's properties.
// Every kind has an inverse (Requires/RequiredBy, After/Before, ...).
type Dependency int

const (
	Requires Dependency = iota
	Requisite
	Wants
	BindsTo
	PartOf
	Upholds
	RequiredBy
	RequisiteOf
	WantedBy
	BoundBy
	ConsistsOf
	UpheldBy
	Conflicts
	ConflictedBy
	Before
	After
	OnSuccess
	OnSuccessOf
	OnFailure
	OnFailureOf
	Triggers
	TriggeredBy
	PropagatesReloadTo
	ReloadPropagatedFrom
	PropagatesStopTo
	StopPropagatedFrom
	numDependencies
)

var dependencyNames = [...]string{
	Requires:             "Requires",
	Requisite:            "Requisite",
	Wants:                "Wants",
	BindsTo:              "BindsTo",
	PartOf:               "PartOf",
	Upholds:              "Upholds",
	RequiredBy:           "RequiredBy",
	RequisiteOf:          "RequisiteOf",
	WantedBy:             "WantedBy",
	BoundBy:              "BoundBy",
	ConsistsOf:           "ConsistsOf",
	UpheldBy:             "UpheldBy",
	Conflicts:            "Conflicts",
	ConflictedBy:         "ConflictedBy",
	Before:               "Before",
	After:                "After",
	OnSuccess:            "OnSuccess",
	OnSuccessOf:          "OnSuccessOf",
	OnFailure:            "OnFailure",
	OnFailureOf:          "OnFailureOf",
	Triggers:             "Triggers",
	TriggeredBy:          "TriggeredBy",
	PropagatesReloadTo:   "PropagatesReloadTo",
	ReloadPropagatedFrom: "ReloadPropagatedFrom",
	PropagatesStopTo:     "PropagatesStopTo",
	StopPropagatedFrom:   "StopPropagatedFrom",
}

var dependencyInverse = [...]Dependency{
	Requires:             RequiredBy,
	Requisite:            RequisiteOf,
	Wants:                WantedBy,
	BindsTo:              BoundBy,
	PartOf:               ConsistsOf,
	Upholds:              UpheldBy,
	RequiredBy:           Requires,
	RequisiteOf:          Requisite,
	WantedBy:             Wants,
	BoundBy:              BindsTo,
	ConsistsOf:           PartOf,
	UpheldBy:             Upholds,
	Conflicts:            ConflictedBy,
	ConflictedBy:         Conflicts,
	Before:               After,
	After:                Before,
	OnSuccess:            OnSuccessOf,
	OnSuccessOf:          OnSuccess,
	OnFailure:            OnFailureOf,
	OnFailureOf:          OnFailure,
	Triggers:             TriggeredBy,
	TriggeredBy:          Triggers,
	PropagatesReloadTo:   ReloadPropagatedFrom,
	ReloadPropagatedFrom: PropagatesReloadTo,
	PropagatesStopTo:     StopPropagatedFrom,
	StopPropagatedFrom:   PropagatesStopTo,
}

// String gives systemd's property name of the dependency.
func (d Dependency) String() string {
	if d >= 0 && d < numDependencies {
		return dependencyNames[d]
	}
	return fmt.Sprintf("Dependency(%d)", int(d))
}

// Inverse is the dependency the other unit has on this one: A Requires= B means
// B RequiredBy= A, A StopPropagatedFrom= B means B PropagatesStopTo= A.
func (d Dependency) Inverse() Dependency { return dependencyInverse[d] }

// Dependencies lists every kind, for callers that fill in a Graph.
func Dependencies() []Dependency {
	ds := make([]Dependency, numDependencies)
	for i := range ds {
		ds[i] = Dependency(i)
	}
	return ds
}

// Info is what the engine needs to know about one unit besides its dependencies.
type Info struct {
	State ActiveState
	Load  LoadState
	// CanReload is false for units that have no reload action.
	CanReload bool
	// Perpetual units (-.slice) can never be stopped.
	Perpetual         bool
	RefuseManualStart bool
	RefuseManualStop  bool
	AllowIsolate      bool
	IgnoreOnIsolate   bool
	StopWhenUnneeded  bool
	// WillRestart is true for a unit waiting to be restarted (Restart=): it still
	// needs the units it depends on.
	WillRestart bool
	// CPUWeight (0: the default, 100) and Nice decide, after the unit type, which of
	// the runnable jobs goes first, as in systemd's run queue.
	CPUWeight uint64
	Nice      int
	// JobTimeout and JobRunningTimeout are JobTimeoutSec= and JobRunningTimeoutSec=;
	// zero means infinity (systemd's default).
	JobTimeout        time.Duration
	JobRunningTimeout time.Duration
	// OnFailureJobMode and OnSuccessJobMode are the modes the units of OnFailure= and
	// OnSuccess= are started with. systemd's defaults differ: replace for OnFailure=
	// (the zero Mode), fail for OnSuccess=, so the caller must fill the latter in.
	OnFailureJobMode Mode
	OnSuccessJobMode Mode
}

// Graph is the manager's unit table as the engine sees it. Units are known by their
// names (aliases resolved by the caller). Deps must hold both directions of every
// dependency, as systemd stores them: if A has After=B, B has Before=A; Symmetrize
// helps a caller that only has the directions written in unit files.
type Graph interface {
	// Info reports the unit; ok is false for a unit the manager does not know, which is
	// treated as inactive and not found.
	Info(unit string) (info Info, ok bool)
	// Deps lists the units that unit has dependency d on, without duplicates.
	Deps(unit string, d Dependency) []string
	// Units lists every unit, for isolate.
	Units() []string
}

// Symmetrize adds the inverse of every dependency in deps (unit -> kind -> units), so
// that a table built from unit files satisfies Graph's rule. Duplicates are dropped.
func Symmetrize(deps map[string]map[Dependency][]string) {
	type edge struct {
		from, to string
		d        Dependency
	}
	// Own copies of the lists, so that appending never writes into a caller's array.
	for _, m := range deps {
		for d, others := range m {
			m[d] = append([]string(nil), others...)
		}
	}
	// Sorted, so that the lists (and with them job IDs and log lines) come out the same
	// on every run.
	units := make([]string, 0, len(deps))
	for u := range deps {
		units = append(units, u)
	}
	sort.Strings(units)
	var add []edge
	for _, u := range units {
		for d := Dependency(0); d < numDependencies; d++ {
			for _, o := range deps[u][d] {
				add = append(add, edge{o, u, d.Inverse()})
			}
		}
	}
	for _, e := range add {
		m := deps[e.from]
		if m == nil {
			m = map[Dependency][]string{}
			deps[e.from] = m
		}
		m[e.d] = append(m[e.d], e.to)
	}
	for _, m := range deps {
		for d, others := range m {
			m[d] = dedup(others)
		}
	}
}

func dedup(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
