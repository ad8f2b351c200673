package process

import (
	"strings"
	"unicode/utf8"
)

// ParseEnvFile reads an EnvironmentFile= as systemd 257 does: KEY=VALUE
// lines; '#' or ';' starting a line makes it a comment; whitespace around
// the key and before the value is dropped, and after an unquoted value;
// single quotes keep everything, double quotes let '\' escape " \ ` $ and
// a newline (other backslashes stay); an unquoted '\' takes the next
// character literally, a newline after it continuing the line; a line
// without '=' is skipped. A key that is not a valid variable name ("export
// A") and invalid UTF-8 come back in bad, for a warning.
func ParseEnvFile(data string) (env, bad []string) {
	p := envFileParser{}
	for i := 0; i < len(data); i++ {
		p.feed(data[i])
	}
	p.end()
	for _, kv := range p.out {
		k, v, _ := strings.Cut(kv, "=")
		if !validName(k) || !utf8.ValidString(v) {
			bad = append(bad, kv)
			continue
		}
		env = setAssignment(env, kv)
	}
	return env, bad
}

type envFileState int

const (
	preKey envFileState = iota
	inKey
	preValue
	inValue
	valueEscape
	singleQuoted
	doubleQuoted
	doubleQuotedEscape
	comment
	commentEscape
)

type envFileParser struct {
	state      envFileState
	key, value strings.Builder
	// keyEnd, valueEnd: where trailing whitespace starts, -1 if none.
	keyEnd, valueEnd int
	out              []string
}

func isEnvSpace(c byte) bool   { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isEnvNewline(c byte) bool { return c == '\n' || c == '\r' }

func (p *envFileParser) feed(c byte) {
	switch p.state {
	case preKey:
		switch {
		case c == '#' || c == ';':
			p.state = comment
		case !isEnvSpace(c):
			p.state, p.keyEnd = inKey, -1
			p.key.WriteByte(c)
		}
	case inKey:
		switch {
		case isEnvNewline(c):
			p.state = preKey
			p.key.Reset()
		case c == '=':
			p.state, p.valueEnd = preValue, -1
		default:
			if !isEnvSpace(c) {
				p.keyEnd = -1
			} else if p.keyEnd < 0 {
				p.keyEnd = p.key.Len()
			}
			p.key.WriteByte(c)
		}
	case preValue:
		switch {
		case isEnvNewline(c):
			p.push(false)
		case c == '\'':
			p.state = singleQuoted
		case c == '"':
			p.state = doubleQuoted
		case c == '\\':
			p.state = valueEscape
		case !isEnvSpace(c):
			p.state = inValue
			p.value.WriteByte(c)
		}
	case inValue:
		switch {
		case isEnvNewline(c):
			p.push(true)
		case c == '\\':
			p.state, p.valueEnd = valueEscape, -1
		default:
			if !isEnvSpace(c) {
				p.valueEnd = -1
			} else if p.valueEnd < 0 {
				p.valueEnd = p.value.Len()
			}
			p.value.WriteByte(c)
		}
	case valueEscape:
		p.state = inValue
		if !isEnvNewline(c) {
			p.value.WriteByte(c)
		}
	case singleQuoted:
		if c == '\'' {
			p.state = preValue
		} else {
			p.value.WriteByte(c)
		}
	case doubleQuoted:
		switch c {
		case '"':
			p.state = preValue
		case '\\':
			p.state = doubleQuotedEscape
		default:
			p.value.WriteByte(c)
		}
	case doubleQuotedEscape:
		p.state = doubleQuoted
		switch {
		case strings.IndexByte("\"\\`$", c) >= 0:
			p.value.WriteByte(c)
		case c != '\n':
			p.value.WriteByte('\\')
			p.value.WriteByte(c)
		}
	case comment:
		if c == '\\' {
			p.state = commentEscape
		} else if isEnvNewline(c) {
			p.state = preKey
		}
	case commentEscape:
		// Since systemd 254 a backslash does not continue a comment.
		if isEnvNewline(c) {
			p.state = preKey
		} else {
			p.state = comment
		}
	}
}

// push ends an assignment; trim drops the unquoted value's trailing
// whitespace.
func (p *envFileParser) push(trim bool) {
	k, v := p.key.String(), p.value.String()
	if p.keyEnd >= 0 {
		k = k[:p.keyEnd]
	}
	if trim && p.valueEnd >= 0 {
		v = v[:p.valueEnd]
	}
	p.out = append(p.out, k+"="+v)
	p.key.Reset()
	p.value.Reset()
	p.state = preKey
}

// end ends the input: an assignment in progress counts.
func (p *envFileParser) end() {
	switch p.state {
	case preValue, inValue, valueEscape, singleQuoted, doubleQuoted, doubleQuotedEscape:
		p.push(p.state == inValue)
	}
}

func validName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// setAssignment sets kv in env, in place of an earlier value of its name.
func setAssignment(env []string, kv string) []string {
	name, _, _ := strings.Cut(kv, "=")
	for i, old := range env {
		if strings.HasPrefix(old, name+"=") {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}
