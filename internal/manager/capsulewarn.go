package manager

import (
	"errors"
	"fmt"
	"strings"

	"github.com/capsuled/capsuled/internal/executor"
	"github.com/capsuled/capsuled/internal/exitstatus"
)

// startFailureWarnings are settings of u that make every start fail in a
// capsule, as in systemd's user manager, which loads such a unit without
// a word: said at load, so the author learns it before the first start.
func (m *Manager) startFailureWarnings(u *Unit) []string {
	if m.cfg.Mode == System || u.svc == nil {
		return nil
	}
	var w []string
	var caps []string
	if u.svc.Sandbox.CapabilityBoundingSet != executor.CapAll {
		caps = append(caps, "CapabilityBoundingSet=")
	}
	if u.svc.Sandbox.AmbientCapabilities != 0 {
		caps = append(caps, "AmbientCapabilities=")
	}
	if len(caps) > 0 {
		need := "needs"
		if len(caps) > 1 {
			need = "need"
		}
		w = append(w, fmt.Sprintf("%s: %s %s the system manager: a capsule's manager has no capabilities to drop or grant, so the unit's start fails with 218/CAPABILITIES, as in systemd's user manager. Remove the setting to run the unit in its capsule.",
			u.name, strings.Join(caps, ", "), need))
	}
	var ce *credError
	if errors.As(m.checkUserCreds(u.svc), &ce) {
		var set []string
		if u.svc.User != "" {
			set = append(set, "User="+u.svc.User)
		}
		if u.svc.Group != "" {
			set = append(set, "Group="+u.svc.Group)
		}
		if len(u.svc.SupplementaryGroups) > 0 {
			set = append(set, "SupplementaryGroups="+strings.Join(u.svc.SupplementaryGroups, " "))
		}
		w = append(w, fmt.Sprintf("%s: %s: a capsule's manager runs units only as the capsule's own user, so the unit's start fails with %d/%s (%s), as in systemd's user manager. Remove the setting to run the unit as the capsule's user.",
			u.name, strings.Join(set, " "), ce.status, exitstatus.Name(ce.status), ce.msg))
	}
	return w
}
