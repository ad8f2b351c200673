package unitconf

import (
	"errors"
	"strings"
)

// parseBusName reads BusName=: the well-known D-Bus name a Type=dbus
// service is ready with, checked as sd_bus_service_name_is_valid checks
// it; empty resets it.
func parseBusName(c *parseCtx, v string) error {
	if v != "" && !ValidBusName(v) {
		return errors.New("not a valid D-Bus name")
	}
	svc(c).BusName = v
	return nil
}

// ValidBusName reports whether name is a well-known D-Bus name: at most
// 255 bytes, two or more dot-separated elements of [A-Za-z0-9_-], none
// empty or starting with a digit.
func ValidBusName(name string) bool {
	if len(name) > 255 || strings.HasPrefix(name, ":") {
		return false
	}
	elems := strings.Split(name, ".")
	if len(elems) < 2 {
		return false
	}
	for _, e := range elems {
		if e == "" || (e[0] >= '0' && e[0] <= '9') {
			return false
		}
		for _, r := range e {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
			if !ok {
				return false
			}
		}
	}
	return true
}
