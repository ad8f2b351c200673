package unit

// Install returns the [Install] section's WantedBy=, RequiredBy= and Also=
// lists. Values may contain specifiers, which the caller expands.
func (u *Unit) Install() (wantedBy, requiredBy, also []string) {
	if u == nil || u.Options == nil {
		return nil, nil, nil
	}
	o := u.Options
	return o.ListFields("Install", "WantedBy"), o.ListFields("Install", "RequiredBy"), o.ListFields("Install", "Also")
}

// Aliases returns the [Install] section's Alias= names.
func (u *Unit) Aliases() []string {
	if u == nil || u.Options == nil {
		return nil
	}
	return u.Options.ListFields("Install", "Alias")
}

// DefaultInstance returns [Install] DefaultInstance=, used when a template
// is enabled without an explicit instance.
func (u *Unit) DefaultInstance() string {
	if u == nil || u.Options == nil {
		return ""
	}
	v, _ := u.Options.Get("Install", "DefaultInstance")
	return v
}
