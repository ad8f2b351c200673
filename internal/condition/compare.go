package condition

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// op is a comparison operator of the version, memory, CPU, OS release and
// SMBIOS checks.
type op int

const (
	opNone op = iota
	opStrEq
	opStrNe
	opGlobEq
	opGlobNe
	opLe
	opGe
	opLt
	opGt
	opEq
	opNe
)

type opFlags int

const (
	allowGlob   opFlags = 1 << iota // "$=" and "!$=" allowed
	equalString                     // "=" and "!=" compare strings
)

// opTable is in matching order: longer operators before their prefixes.
var opTable = []struct {
	o    op
	s    string
	only opFlags // invalid unless these flags are given
	need opFlags // skipped unless these flags are given
}{
	{opGlobEq, "$=", allowGlob, 0},
	{opGlobNe, "!$=", allowGlob, 0},
	{opNe, "<>", 0, 0},
	{opLe, "<=", 0, 0},
	{opGe, ">=", 0, 0},
	{opLt, "<", 0, 0},
	{opGt, ">", 0, 0},
	{opEq, "==", 0, 0},
	{opStrEq, "=", 0, equalString},
	{opEq, "=", 0, 0},
	{opStrNe, "!=", 0, equalString},
	{opNe, "!=", 0, 0},
}

var errOperator = errors.New("invalid comparison operator")

// parseOp strips a leading operator from s. It returns opNone when s starts
// with none, and an error for "$=" where globs are not allowed.
func parseOp(s string, f opFlags) (op, string, error) {
	for _, e := range opTable {
		if e.need != 0 && f&e.need != e.need {
			continue
		}
		if strings.HasPrefix(s, e.s) {
			if e.only != 0 && f&e.only != e.only {
				return opNone, s, errOperator
			}
			return e.o, s[len(e.s):], nil
		}
	}
	return opNone, s, nil
}

func order(k int, o op) (bool, error) {
	switch o {
	case opLt:
		return k < 0, nil
	case opLe:
		return k <= 0, nil
	case opEq:
		return k == 0, nil
	case opNe:
		return k != 0, nil
	case opGe:
		return k >= 0, nil
	case opGt:
		return k > 0, nil
	}
	return false, errOperator
}

// versionOrGlob compares actual against expected with o.
func versionOrGlob(o op, actual, expected string) (bool, error) {
	switch o {
	case opStrEq:
		return actual == expected, nil
	case opStrNe:
		return actual != expected, nil
	case opGlobEq:
		return fnmatch(expected, actual, false)
	case opGlobNe:
		m, err := fnmatch(expected, actual, false)
		return !m, err
	}
	return order(versionCompare(actual, expected), o)
}

func cmp[T int | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func versionChar(c byte) bool {
	return isDigit(c) || isAlpha(c) || c == '~' || c == '-' || c == '^' || c == '.'
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// versionCompare orders version strings as systemd's strverscmp_improved()
// does: segments of digits or letters, "~" older than the end of the
// string, "-" older than "^" older than "." older than no separator.
func versionCompare(a, b string) int {
	at := func(s string, i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	i, j := 0, 0
	for {
		for i < len(a) && !versionChar(a[i]) {
			i++
		}
		for j < len(b) && !versionChar(b[j]) {
			j++
		}
		for _, sep := range []byte{'~'} {
			if at(a, i) == sep || at(b, j) == sep {
				if r := boolCmp(at(a, i) != sep, at(b, j) != sep); r != 0 {
					return r
				}
				i, j = i+1, j+1
			}
		}
		if i >= len(a) || j >= len(b) {
			return cmp(int(at(a, i)), int(at(b, j)))
		}
		for _, sep := range []byte{'-', '^', '.'} {
			if at(a, i) == sep || at(b, j) == sep {
				if r := boolCmp(at(a, i) != sep, at(b, j) != sep); r != 0 {
					return r
				}
				i, j = i+1, j+1
			}
		}
		if isDigit(at(a, i)) || isDigit(at(b, j)) {
			ea, eb := i, j
			for ea < len(a) && isDigit(a[ea]) {
				ea++
			}
			for eb < len(b) && isDigit(b[eb]) {
				eb++
			}
			if r := boolCmp(ea != i, eb != j); r != 0 {
				return r
			}
			for i < ea && a[i] == '0' {
				i++
			}
			for j < eb && b[j] == '0' {
				j++
			}
			if r := cmp(ea-i, eb-j); r != 0 {
				return r
			}
			if r := strings.Compare(a[i:ea], b[j:eb]); r != 0 {
				return r
			}
			i, j = ea, eb
			continue
		}
		ea, eb := i, j
		for ea < len(a) && isAlpha(a[ea]) {
			ea++
		}
		for eb < len(b) && isAlpha(b[eb]) {
			eb++
		}
		n := min(ea-i, eb-j)
		if r := strings.Compare(a[i:i+n], b[j:j+n]); r != 0 {
			return r
		}
		if r := cmp(ea-i, eb-j); r != 0 {
			return r
		}
		i, j = ea, eb
	}
}

// parseSize parses a size with optional K, M, G, T, P, E suffixes (base
// 1024) and fractions ("1.5G"), several parts adding up ("1G 512M").
func parseSize(s string) (uint64, error) {
	suffixes := []struct {
		s string
		f uint64
	}{{"E", 1 << 60}, {"P", 1 << 50}, {"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}, {"", 1}}
	var total uint64
	start := 0
	p := s
	for {
		p = strings.TrimLeft(p, " \t\n\r")
		if strings.HasPrefix(p, "-") {
			return 0, fmt.Errorf("size %q: negative", s)
		}
		n := 0
		for n < len(p) && isDigit(p[n]) {
			n++
		}
		if n == 0 {
			return 0, fmt.Errorf("size %q: no number", s)
		}
		whole, err := strconv.ParseUint(p[:n], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("size %q: %w", s, err)
		}
		p = p[n:]
		frac := 0.0
		if strings.HasPrefix(p, ".") {
			p = p[1:]
			m := 0
			for m < len(p) && isDigit(p[m]) {
				m++
			}
			if m > 0 {
				v, _ := strconv.ParseFloat("0."+p[:m], 64)
				frac = v
			}
			p = p[m:]
		}
		p = strings.TrimLeft(p, " \t\n\r")
		i := start
		for ; i < len(suffixes); i++ {
			if strings.HasPrefix(p, suffixes[i].s) {
				break
			}
		}
		if i == len(suffixes) {
			return 0, fmt.Errorf("size %q: unknown suffix", s)
		}
		f := suffixes[i].f
		extra := uint64(0)
		if frac > 0 {
			extra = 1
		}
		if whole+extra > ^uint64(0)/f {
			return 0, fmt.Errorf("size %q: out of range", s)
		}
		v := whole*f + uint64(frac*float64(f))
		if v > ^uint64(0)-total {
			return 0, fmt.Errorf("size %q: out of range", s)
		}
		total += v
		p = p[len(suffixes[i].s):]
		start = i + 1
		if p == "" {
			return total, nil
		}
	}
}

// parseBool accepts systemd's spellings of booleans.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "yes", "y", "true", "t", "on":
		return true, nil
	case "0", "no", "n", "false", "f", "off":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %q", s)
}

var errPattern = errors.New("invalid pattern")

// fnmatch matches name against a shell pattern as fnmatch(3) with no flags
// (or FNM_CASEFOLD): "*" and "?" match "/" too, "[...]" sets with "!" or "^"
// negation and ranges, "\" quotes.
func fnmatch(pattern, name string, fold bool) (bool, error) {
	if fold {
		pattern, name = strings.ToLower(pattern), strings.ToLower(name)
	}
	return match(pattern, name)
}

func match(p, n string) (bool, error) {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true, nil
			}
			for i := 0; i <= len(n); i++ {
				ok, err := match(p, n[i:])
				if err != nil || ok {
					return ok, err
				}
			}
			return false, nil
		case '?':
			if n == "" {
				return false, nil
			}
			p, n = p[1:], n[1:]
		case '[':
			if n == "" {
				return false, nil
			}
			ok, rest, valid := matchSet(p, n[0])
			if !valid {
				// An unterminated "[" is an ordinary character.
				if n[0] != '[' {
					return false, nil
				}
				p, n = p[1:], n[1:]
				continue
			}
			if !ok {
				return false, nil
			}
			p, n = rest, n[1:]
		case '\\':
			if len(p) == 1 {
				return false, errPattern
			}
			if n == "" || n[0] != p[1] {
				return false, nil
			}
			p, n = p[2:], n[1:]
		default:
			if n == "" || n[0] != p[0] {
				return false, nil
			}
			p, n = p[1:], n[1:]
		}
	}
	return n == "", nil
}

// matchSet matches c against the set at the start of p ("[...]"), returning
// the pattern after it; valid is false when the set is not closed.
func matchSet(p string, c byte) (ok bool, rest string, valid bool) {
	i := 1
	neg := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		neg = true
		i++
	}
	first := true
	for i < len(p) {
		if p[i] == ']' && !first {
			return ok != neg, p[i+1:], true
		}
		first = false
		lo := p[i]
		if lo == '\\' && i+1 < len(p) {
			i++
			lo = p[i]
		}
		i++
		hi := lo
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi = p[i+1]
			if hi == '\\' && i+2 < len(p) {
				i++
				hi = p[i+1]
			}
			i += 2
		}
		if lo <= c && c <= hi {
			ok = true
		}
	}
	return false, "", false
}
