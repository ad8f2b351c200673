package unitconf

import (
	"slices"
	"strings"
)

// DeviceRule is one DeviceAllow= entry: a device node ("/dev/null") or a
// driver class from /proc/devices ("char-pts", "block-loop", globs
// allowed), and the access granted, of "rwm".
type DeviceRule struct {
	Spec, Access string
}

// Devices is DevicePolicy= and DeviceAllow= of a service.
type Devices struct {
	Policy string // "auto", "closed" or "strict"; "" is auto
	Allow  []DeviceRule
}

// Restricted says whether the service's device access is limited at all:
// auto without DeviceAllow= leaves it open.
func (d Devices) Restricted() bool {
	return d.Policy == "closed" || d.Policy == "strict" || len(d.Allow) > 0
}

func deviceDirectives(dev func(*Unit) *Devices) []Directive {
	return []Directive{
		// A typo must not leave the service less restricted than meant.
		{Key: "DevicePolicy", Props: []string{"DevicePolicy"}, Strict: true, Parse: func(c *parseCtx, v string) error {
			switch v {
			case "", "auto":
				dev(c.unit()).Policy = ""
			case "closed", "strict":
				dev(c.unit()).Policy = v
			default:
				return refuse("Failed to parse device policy: %s", v)
			}
			return nil
		}},
		{Key: "DeviceAllow", Props: []string{"DeviceAllow"}, Parse: func(c *parseCtx, v string) error {
			d := dev(c.unit())
			if v == "" {
				d.Allow = nil
				return nil
			}
			spec, access, _ := strings.Cut(v, " ")
			access = strings.TrimSpace(access)
			if access == "" {
				access = "rwm"
			}
			if strings.Trim(access, "rwm") != "" {
				c.warn("Invalid device rights '%s', ignoring.", access)
				return nil
			}
			if !validDeviceSpec(spec) {
				c.warn("Invalid device node path '%s', ignoring.", spec)
				return nil
			}
			d.Allow = append(d.Allow, DeviceRule{Spec: spec, Access: normalAccess(access)})
			return nil
		}},
	}
}

// validDeviceSpec checks a DeviceAllow= device: a path below /dev (or
// /sys, whose device links systemd also takes) or a driver class.
func validDeviceSpec(s string) bool {
	if rest, ok := strings.CutPrefix(s, "char-"); ok {
		return rest != ""
	}
	if rest, ok := strings.CutPrefix(s, "block-"); ok {
		return rest != ""
	}
	p, ok := simplifyAbs(s)
	return ok && (strings.HasPrefix(p, "/dev/") || strings.HasPrefix(p, "/sys/"))
}

// normalAccess orders access rights as systemd prints them ("rwm").
func normalAccess(a string) string {
	var b strings.Builder
	for _, r := range "rwm" {
		if strings.ContainsRune(a, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func deviceProps(dev func(*Unit) *Devices) []Property {
	return []Property{
		{Name: "DevicePolicy", Format: func(u *Unit) string {
			if p := dev(u).Policy; p != "" {
				return p
			}
			return "auto"
		}},
		// systemd lists the entries last first.
		{Name: "DeviceAllow", Lines: func(u *Unit) []string {
			var out []string
			for _, r := range slices.Backward(dev(u).Allow) {
				out = append(out, r.Spec+" "+r.Access)
			}
			return out
		}},
	}
}
