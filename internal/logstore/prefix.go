package logstore

// ParsePrefix takes a "<N>" level prefix off s as systemd reads one on a
// unit's output (SyslogLevelPrefix=): N is a level 0-7, written as one to
// three digits ("<3>", "<03>", "<003>"), and no facility is accepted; what
// is not such a prefix stays part of the message at level def.
func ParsePrefix(s string, def int) (msg string, prio int) {
	if len(s) < 3 || s[0] != '<' {
		return s, def
	}
	end := -1
	for i := 1; i < len(s) && i <= 4; i++ {
		if s[i] == '>' {
			end = i
			break
		}
	}
	if end < 2 {
		return s, def
	}
	n := 0
	for _, c := range s[1:end] {
		if c < '0' || c > '9' {
			return s, def
		}
		n = n*10 + int(c-'0')
	}
	if n > 7 {
		return s, def
	}
	return s[end+1:], n
}
