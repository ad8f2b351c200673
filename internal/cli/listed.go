package cli

import (
	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/unit"
)

// eachListed calls fn with the properties of each loaded unit of type typ
// that list-timers and list-paths show: the active ones (every loaded one
// with --all) matching patterns, if any, and --state= and --type=, as
// systemctl 257 filters them. what names the list in errors.
func (c *ctl) eachListed(typ, what string, patterns []string, fn func(name string, ps []api.Property)) error {
	var l api.UnitList
	if err := c.t.client.Call(api.MethodListUnits, struct{}{}, &l); err != nil {
		return fail(exitFailure, "Failed to list %s: %v", what, err)
	}
	for _, u := range l.Units {
		if n, err := unit.ParseName(u.Name); err != nil || n.Type != typ {
			continue
		}
		if u.LoadState != "loaded" || !c.o.listedUnit(u, patterns) {
			continue
		}
		var ps api.Properties
		if err := c.t.client.Call(api.MethodGetProperties, api.PropertiesRequest{Name: u.Name}, &ps); err != nil {
			return fail(exitFailure, "Failed to get properties of %s: %v", u.Name, err)
		}
		fn(u.Name, ps.Properties)
	}
	return nil
}
