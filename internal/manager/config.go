package manager

import (
	"errors"
	"fmt"

	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// The typed configuration of units comes from unitconf; these names keep
// the engine's code short.
type (
	serviceConfig = unitconf.Service
	socketConfig  = unitconf.Socket
	resources     = unitconf.Resources
	dirType       = unitconf.DirType
)

const (
	dirRuntime = unitconf.DirRuntime
	dirState   = unitconf.DirState
	dirCache   = unitconf.DirCache
	dirLogs    = unitconf.DirLogs
	dirConfig  = unitconf.DirConfig
)

var dirTypes = unitconf.DirTypes

// loadError names the file a unit could not be loaded from, unless the
// unit file was read and refused.
func loadError(f *unit.Unit, err error) error {
	// A refusal names its line, or is about the unit as a whole, which
	// systemd's "NAME: Timer unit lacks value setting. Refusing." words
	// without the file.
	var ref *unitconf.Refused
	if errors.As(err, &ref) {
		return err
	}
	return fmt.Errorf("%s: %w", f.Fragment, err)
}
