package unitconf

import "testing"

func TestValidBusName(t *testing.T) {
	for name, want := range map[string]bool{
		"org.freedesktop.systemd1": true,
		"org.example.X_y-z":        true,
		"a.b":                      true,
		"org":                      false,
		"org..x":                   false,
		"org.1x":                   false,
		":1.5":                     false,
		"org.ex/ample":             false,
		"org.ex ample":             false,
		".org.x":                   false,
		"org.x.":                   false,
		"":                         false,
	} {
		if got := ValidBusName(name); got != want {
			t.Errorf("ValidBusName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestBusNameType: a service with BusName= and no Type= is Type=dbus, as
// in systemd; an explicit type stays.
func TestBusNameType(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{"BusName=org.example.A\nExecStart=/bin/a\n", "dbus"},
		{"Type=simple\nBusName=org.example.A\nExecStart=/bin/a\n", "simple"},
		{"BusName=org.example.A\nBusName=\nExecStart=/bin/a\n", "simple"},
	} {
		c, _, _ := service(t, tt.body)
		if c.Type != tt.want {
			t.Errorf("%q: Type = %q, want %q", tt.body, c.Type, tt.want)
		}
	}
}
