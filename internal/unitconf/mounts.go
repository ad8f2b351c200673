package unitconf

import "strings"

// requiresMountsFor parses RequiresMountsFor=: absolute paths whose file
// systems must be mounted for the unit to start. systemd adds Requires=
// and After= on their mount units; capsuled has no mount units and mounts
// nothing, so the start fails (as a failed dependency) while a file
// system /etc/fstab lists for such a path is not mounted.
func requiresMountsFor(c *parseCtx, v string) error {
	s := &c.unit().Unit
	if v == "" {
		s.RequiresMountsFor = nil
		return nil
	}
	ws, err := words(v)
	if err != nil {
		return err
	}
	for _, w := range ws {
		p, ok := simplifyAbs(w)
		if !ok {
			c.warn("RequiresMountsFor= path is not absolute, ignoring: %s", w)
			continue
		}
		s.RequiresMountsFor = append(s.RequiresMountsFor, p)
	}
	return nil
}

func mountsProps() []Property {
	return []Property{
		{Name: "RequiresMountsFor", Format: func(u *Unit) string { return strings.Join(u.Unit.RequiresMountsFor, " ") }},
	}
}
