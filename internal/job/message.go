package job

// DoneLevel is the syslog level systemd logs a job's end message at:
// failures at err, a dependency's or an assertion's at warning.
func DoneLevel(r Result) int {
	switch r {
	case ResultTimeout, ResultFailed, ResultOnce, ResultFrozen:
		return 3
	case ResultDependency, ResultAssert, ResultUnsupported, ResultConcurrency:
		return 4
	case ResultSkipped:
		return 5
	}
	return 6
}

// DoneMessage returns systemd's generic status message for a job of type t that ended
// with result r, with one %s for the unit ("Dependency failed for %s."), or "" where
// systemd prints none. Unit types may word some differently (targets: "Reached
// target %s.").
func DoneMessage(t Type, r Result) string {
	switch t {
	case Start:
		switch r {
		case ResultDone:
			return "Started %s."
		case ResultTimeout:
			return "Timed out starting %s."
		case ResultFailed:
			return "Failed to start %s."
		case ResultDependency:
			return "Dependency failed for %s."
		case ResultAssert:
			return "Assertion failed for %s."
		case ResultUnsupported:
			return "Starting of %s unsupported."
		case ResultCollected:
			return "Unnecessary job was removed for %s."
		case ResultOnce:
			return "Unit %s has been started before and cannot be started again."
		case ResultFrozen:
			return "Cannot start frozen unit %s."
		case ResultConcurrency:
			return "Hard concurrency limit hit for slice of unit %s."
		}
	case Stop, Restart:
		switch r {
		case ResultDone:
			return "Stopped %s."
		case ResultFailed:
			return "Stopped %s with error."
		case ResultTimeout:
			return "Timed out stopping %s."
		case ResultFrozen:
			return "Cannot stop frozen unit %s."
		}
	case Reload:
		switch r {
		case ResultDone:
			return "Reloaded %s."
		case ResultFailed:
			return "Reload failed for %s."
		case ResultTimeout:
			return "Timed out reloading %s."
		case ResultFrozen:
			return "Cannot reload frozen unit %s."
		}
	case VerifyActive:
		if r == ResultSkipped {
			return "%s is inactive."
		}
	}
	return ""
}
