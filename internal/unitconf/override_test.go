package unitconf

import (
	"strings"
	"testing"

	"github.com/capsuled/capsuled/internal/unit"
)

// TestLaterAssignmentOverridesRefusedLine: capsuled decides on a key's
// final value, as systemd 257 does (observed: Type=dbus with a drop-in
// Type=simple loads as simple without a word; PrivateTmp=bogus with a
// drop-in PrivateTmp=yes loads with "Failed to parse PrivateTmp=bogus,
// ignoring: Invalid argument"). A list setting's bad line stands unless an
// empty assignment resets the list.
func TestLaterAssignmentOverridesRefusedLine(t *testing.T) {
	for name, tt := range map[string]struct {
		file, dropIn string
		refused      string // substring of the refusal; "" loads
		warning      string // the one warning expected when it loads
		prop, want   string
	}{
		"Type=dbus fixed by a drop-in": {
			file: "[Service]\nType=dbus\nExecStart=/bin/true\n", dropIn: "[Service]\nType=simple\n",
			prop: "Type", want: "simple",
		},
		"Type=dbus kept, no BusName=": {
			file: "[Service]\nType=dbus\nExecStart=/bin/true\n", dropIn: "[Service]\nType=bogus\n",
			refused: "Service is of type D-Bus but no D-Bus service name has been specified. Refusing.",
		},
		"Type=dbus after Type=simple, no BusName=": {
			file: "[Service]\nType=simple\nExecStart=/bin/true\n", dropIn: "[Service]\nType=dbus\n",
			refused: "Service is of type D-Bus but no D-Bus service name has been specified. Refusing.",
		},
		"PrivateTmp=bogus fixed by a drop-in": {
			file: "[Service]\nPrivateTmp=bogus\nExecStart=/bin/true\n", dropIn: "[Service]\nPrivateTmp=yes\n",
			warning: "/u/x.service:2: Failed to parse PrivateTmp=bogus, ignoring: Invalid argument",
			prop:    "PrivateTmp", want: "yes",
		},
		"PrivateTmp=bogus alone": {
			file:    "[Service]\nPrivateTmp=bogus\nExecStart=/bin/true\n",
			refused: "/u/x.service:2: invalid PrivateTmp=bogus",
		},
		"ProtectSystem reset": {
			file: "[Service]\nProtectSystem=bogus\nExecStart=/bin/true\n", dropIn: "[Service]\nProtectSystem=\n",
			warning: "/u/x.service:2: Failed to parse ProtectSystem=bogus, ignoring: Invalid argument",
			prop:    "ProtectSystem", want: "no",
		},
		"first of two bad lines is the one replaced": {
			file: "[Service]\nPrivateTmp=bogus\nPrivateTmp=worse\nExecStart=/bin/true\n", dropIn: "[Service]\nPrivateTmp=no\n",
			warning: "/u/x.service:3: Failed to parse PrivateTmp=worse, ignoring: Invalid argument",
			prop:    "PrivateTmp", want: "no",
		},
		"list line stands after another line": {
			file: "[Service]\nReadOnlyPaths=\"/etc\nExecStart=/bin/true\n", dropIn: "[Service]\nReadOnlyPaths=/usr\n",
			refused: "/u/x.service:2: invalid ReadOnlyPaths=\"/etc",
		},
		"list reset": {
			file: "[Service]\nReadOnlyPaths=\"/etc\nExecStart=/bin/true\n", dropIn: "[Service]\nReadOnlyPaths=\nReadOnlyPaths=/etc\n",
			warning: "/u/x.service:2: Failed to parse ReadOnlyPaths=\"/etc, ignoring: Invalid argument",
			prop:    "ReadOnlyPaths", want: "/etc",
		},
		"list line stands after a later line of the file": {
			file:    "[Service]\nReadOnlyPaths=\"/etc\nReadOnlyPaths=/usr\nExecStart=/bin/true\n",
			refused: "/u/x.service:2: invalid ReadOnlyPaths",
		},
	} {
		t.Run(name, func(t *testing.T) {
			f, err := unit.Parse(strings.NewReader(tt.file), "/u/x.service")
			if err != nil {
				t.Fatal(err)
			}
			o := unit.NewOptions(f)
			if tt.dropIn != "" {
				d, err := unit.Parse(strings.NewReader(tt.dropIn), "/d/x.conf")
				if err != nil {
					t.Fatal(err)
				}
				o.Add(d)
			}
			u, warns, err := Parse("x.service", o, unit.Specifiers{Name: "x.service"}.Expand)
			if tt.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tt.refused) {
					t.Fatalf("got %v, want refused %q", err, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			var got []string
			for _, w := range warns {
				got = append(got, w.String())
			}
			if tt.warning == "" && len(got) > 0 || tt.warning != "" && (len(got) != 1 || got[0] != tt.warning) {
				t.Errorf("warnings %q, want %q", got, tt.warning)
			}
			if p := property(t, u, tt.prop); p != tt.want {
				t.Errorf("%s=%s, want %s", tt.prop, p, tt.want)
			}
		})
	}
}
