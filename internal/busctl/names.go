package busctl

import "strings"

func nameChar(c byte, digitOK bool) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || digitOK && c >= '0' && c <= '9'
}

// elements checks a dotted name of at least two elements; unique names
// may have elements starting with a digit, and bus names may have '-'.
func dotted(s string, digitFirst, dash bool) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if p == "" || !digitFirst && p[0] >= '0' && p[0] <= '9' {
			return false
		}
		for i := 0; i < len(p); i++ {
			if !nameChar(p[i], true) && !(dash && p[i] == '-') {
				return false
			}
		}
	}
	return true
}

// ValidServiceName accepts a unique (":1.5") or well-known bus name.
func ValidServiceName(s string) bool {
	if strings.HasPrefix(s, ":") {
		return dotted(s[1:], true, true)
	}
	return dotted(s, false, true)
}

// ValidInterfaceName accepts an interface name.
func ValidInterfaceName(s string) bool { return dotted(s, false, false) }

// ValidMemberName accepts a method, signal or property name.
func ValidMemberName(s string) bool {
	if s == "" || len(s) > 255 || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !nameChar(s[i], true) {
			return false
		}
	}
	return true
}

// ValidObjectPath accepts an object path.
func ValidObjectPath(s string) bool {
	if s == "/" {
		return true
	}
	if !strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") {
		return false
	}
	for _, p := range strings.Split(s[1:], "/") {
		if p == "" {
			return false
		}
		for i := 0; i < len(p); i++ {
			if !nameChar(p[i], true) {
				return false
			}
		}
	}
	return true
}
