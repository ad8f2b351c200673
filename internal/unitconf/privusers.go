package unitconf

import "github.com/capsuled/capsuled/internal/unit"

// PrivateUsers=no (the default) is acted on: the service runs in its
// manager's user namespace. A user namespace of its own (yes, self,
// identity, full) is not there yet and warns.
func privateUsersDirective() Directive {
	return Directive{Key: "PrivateUsers", Props: []string{"PrivateUsers", "PrivateUsersEx"}, Parse: func(c *parseCtx, v string) error {
		switch v {
		case "", "self", "identity", "full":
			if v != "" {
				c.warn("PrivateUsers= is not supported yet, ignoring.")
			}
			return nil
		}
		on, err := unit.ParseBool(v)
		if err != nil {
			return err
		}
		if on {
			c.warn("PrivateUsers= is not supported yet, ignoring.")
		}
		return nil
	}}
}

func privateUsersProps() []Property {
	no := func(*Unit) string { return "no" }
	return []Property{{Name: "PrivateUsers", Format: no}, {Name: "PrivateUsersEx", Format: no}}
}
