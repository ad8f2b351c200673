package manager

import "fmt"

// ActiveState is a unit's high-level state, as systemd names it.
type ActiveState uint8

const (
	stateInactive ActiveState = iota
	stateActive
	stateActivating
	stateDeactivating
	stateFailed
	stateMaintenance
	stateReloading
)

var activeStateNames = [...]string{
	stateInactive:     "inactive",
	stateActive:       "active",
	stateActivating:   "activating",
	stateDeactivating: "deactivating",
	stateFailed:       "failed",
	stateMaintenance:  "maintenance",
	stateReloading:    "reloading",
}

func (s ActiveState) String() string { return enumName(activeStateNames[:], int(s)) }

// isInactiveOrFailed reports whether nothing of the unit runs and no job
// holds it in a transition (systemd's UNIT_IS_INACTIVE_OR_FAILED).
func (s ActiveState) isInactiveOrFailed() bool { return s == stateInactive || s == stateFailed }

// SubState is the kind-specific detail of a unit's state. The names are
// systemd's; each kind uses its own subset.
type SubState uint8

const (
	subDead SubState = iota
	subStartPre
	subStart
	subStartPost
	subRunning
	subExited
	subReload
	subStop
	subStopSigterm
	subStopSigkill
	subStopPost
	subFinalSigterm
	subFinalSigkill
	subFailed
	subAutoRestart
	subCleaning
	subListening
	subActive
	subWaiting
	subElapsed
	subReloadSignal
	subReloadNotify
	subStopPre
)

var subStateNames = [...]string{
	subDead:         "dead",
	subStartPre:     "start-pre",
	subStart:        "start",
	subStartPost:    "start-post",
	subRunning:      "running",
	subExited:       "exited",
	subReload:       "reload",
	subStop:         "stop",
	subStopSigterm:  "stop-sigterm",
	subStopSigkill:  "stop-sigkill",
	subStopPost:     "stop-post",
	subFinalSigterm: "final-sigterm",
	subFinalSigkill: "final-sigkill",
	subFailed:       "failed",
	subAutoRestart:  "auto-restart",
	subCleaning:     "cleaning",
	subListening:    "listening",
	subActive:       "active",
	subWaiting:      "waiting",
	subElapsed:      "elapsed",
	subReloadSignal: "reload-signal",
	subReloadNotify: "reload-notify",
	subStopPre:      "stop-pre",
}

func (s SubState) String() string { return enumName(subStateNames[:], int(s)) }

// LoadState says whether a unit's configuration could be used.
type LoadState uint8

const (
	loadStub LoadState = iota
	loadLoaded
	loadNotFound
	loadBadSetting
	loadStateError
	loadMasked
)

var loadStateNames = [...]string{
	loadStub:       "stub",
	loadLoaded:     "loaded",
	loadNotFound:   "not-found",
	loadBadSetting: "bad-setting",
	loadStateError: "error",
	loadMasked:     "masked",
}

func (s LoadState) String() string { return enumName(loadStateNames[:], int(s)) }

// Result is how a unit's last activation ended (its Result property). The
// zero value is success, which systemd shows while a unit runs, too.
type Result uint8

const (
	resultSuccess Result = iota
	resultResources
	resultProtocol
	resultTimeout
	resultExitCode
	resultSignal
	resultCoreDump
	resultWatchdog
	resultStartLimitHit
	resultOOMKill
	resultTriggerLimitHit
	resultServiceStartLimitHit
	resultUnitStartLimitHit
	// Not unit results in systemd but job results; the engine records
	// them on the unit until jobs carry results of their own.
	resultDependency
)

var resultNames = [...]string{
	resultSuccess:              "success",
	resultResources:            "resources",
	resultProtocol:             "protocol",
	resultTimeout:              "timeout",
	resultExitCode:             "exit-code",
	resultSignal:               "signal",
	resultCoreDump:             "core-dump",
	resultWatchdog:             "watchdog",
	resultStartLimitHit:        "start-limit-hit",
	resultOOMKill:              "oom-kill",
	resultTriggerLimitHit:      "trigger-limit-hit",
	resultServiceStartLimitHit: "service-start-limit-hit",
	resultUnitStartLimitHit:    "unit-start-limit-hit",
	resultDependency:           "dependency",
}

func (r Result) String() string { return enumName(resultNames[:], int(r)) }

func enumName(names []string, i int) string {
	if i < 0 || i >= len(names) || names[i] == "" {
		return fmt.Sprintf("(%d)", i)
	}
	return names[i]
}
