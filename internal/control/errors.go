package control

import (
	"errors"
	"fmt"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/manager"
)

// errorNames maps the engine's error kinds to the interface's error names;
// anything else is a failed job.
var errorNames = []struct {
	kind error
	name string
}{
	{manager.ErrNoSuchUnit, api.ErrNoSuchUnit},
	{manager.ErrBusy, api.ErrUnitBusy},
	{manager.ErrInvalid, api.ErrInvalidArgument},
	{manager.ErrExists, api.ErrUnitExists},
	{manager.ErrNothing, api.ErrNothingToClean},
	{manager.ErrUnsupported, api.ErrNotSupported},
}

// errorName is the varlink error name for err.
func errorName(err error) string {
	for _, e := range errorNames {
		if errors.Is(err, e.kind) {
			return e.name
		}
	}
	return api.ErrJobFailed
}

// invalid marks a call's parameters that could not be decoded.
func invalid(err error) error { return fmt.Errorf("%w: %v", manager.ErrInvalid, err) }
