package busctl

import (
	"errors"
	"strconv"
	"strings"
)

// ParseArgs builds values from busctl's argument syntax: each basic value
// one word, an array its element count then the elements, a variant its
// signature then the value, a struct or dict entry its fields. It returns
// the unused words.
func ParseArgs(sig string, words []string) ([]Value, []string, error) {
	if sig == "" {
		return nil, words, nil
	}
	types, err := splitSignature(sig)
	if err != nil {
		return nil, nil, failf2("Invalid signature %q", sig)
	}
	var out []Value
	for _, t := range types {
		v, rest, err := parseArg(t, words, 0)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, v)
		words = rest
	}
	return out, words, nil
}

var errTooFew = failf("Too few parameters for signature.")

func parseErr(word, what string, err error) error {
	msg := "Invalid argument"
	if errors.Is(err, strconv.ErrRange) {
		msg = "Numerical result out of range"
	}
	return failf2("Failed to parse '%s' as %s: %s", word, what, msg)
}

func parseArg(t string, words []string, depth int) (Value, []string, error) {
	if depth > maxDepth {
		return Value{}, nil, failf("Arguments nested too deeply.")
	}
	v := Value{Sig: t}
	switch t[0] {
	case '(', '{':
		for _, ft := range mustSplit(t[1 : len(t)-1]) {
			e, rest, err := parseArg(ft, words, depth+1)
			if err != nil {
				return v, nil, err
			}
			v.Elems = append(v.Elems, e)
			words = rest
		}
		return v, words, nil
	}
	if len(words) == 0 {
		return v, nil, errTooFew
	}
	w, words := words[0], words[1:]
	switch t[0] {
	case 'b':
		switch strings.ToLower(w) {
		case "1", "yes", "y", "true", "t", "on":
			v.V = true
		case "0", "no", "n", "false", "f", "off":
			v.V = false
		default:
			return v, nil, failf2("Failed to parse '%s' as boolean: Invalid argument", w)
		}
	case 'y', 'q', 'u', 't':
		bits, what := map[byte]int{'y': 8, 'q': 16, 'u': 32, 't': 64}[t[0]], map[byte]string{
			'y': "byte (unsigned 8-bit integer)", 'q': "unsigned 16-bit integer", 'u': "unsigned 32-bit integer", 't': "unsigned 64-bit integer"}[t[0]]
		n, err := strconv.ParseUint(w, 0, bits)
		if err != nil {
			return v, nil, parseErr(w, what, err)
		}
		switch t[0] {
		case 'y':
			v.V = uint8(n)
		case 'q':
			v.V = uint16(n)
		case 'u':
			v.V = uint32(n)
		default:
			v.V = n
		}
	case 'n', 'i', 'x':
		bits, what := map[byte]int{'n': 16, 'i': 32, 'x': 64}[t[0]], map[byte]string{
			'n': "signed 16-bit integer", 'i': "signed 32-bit integer", 'x': "signed 64-bit integer"}[t[0]]
		n, err := strconv.ParseInt(w, 0, bits)
		if err != nil {
			return v, nil, parseErr(w, what, err)
		}
		switch t[0] {
		case 'n':
			v.V = int16(n)
		case 'i':
			v.V = int32(n)
		default:
			v.V = n
		}
	case 'd':
		f, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return v, nil, parseErr(w, "double precision floating point", err)
		}
		v.V = f
	case 's':
		v.V = w
	case 'o':
		if !ValidObjectPath(w) {
			return v, nil, failf2("Failed to append '%s' as object path: Invalid argument", w)
		}
		v.V = w
	case 'g':
		if _, err := splitSignature(w); err != nil {
			return v, nil, failf2("Failed to append '%s' as signature: Invalid argument", w)
		}
		v.V = w
	case 'a':
		n, err := strconv.ParseUint(w, 0, 32)
		if err != nil {
			return v, nil, parseErr(w, "number of array entries", err)
		}
		if t == "ay" {
			// Bytes are kept as the decoder keeps them (see Value).
			b := []byte{}
			for i := uint64(0); i < n; i++ {
				e, rest, err := parseArg("y", words, depth+1)
				if err != nil {
					return v, nil, err
				}
				b = append(b, e.V.(uint8))
				words = rest
			}
			v.V = b
			break
		}
		v.Elems = []Value{}
		for i := uint64(0); i < n; i++ {
			e, rest, err := parseArg(t[1:], words, depth+1)
			if err != nil {
				return v, nil, err
			}
			v.Elems = append(v.Elems, e)
			words = rest
		}
	case 'v':
		if n, err := typeLen(w); err != nil || n != len(w) {
			return v, nil, failf2("Failed to open variant of signature '%s': Invalid argument", w)
		}
		e, rest, err := parseArg(w, words, depth+1)
		if err != nil {
			return v, nil, err
		}
		v.Elems = []Value{e}
		words = rest
	case 'h':
		return v, nil, failf("Passing file descriptors is not supported on a capsule's bus by capsulectl.")
	default:
		return v, nil, failf2("Unknown signature type %c.", t[0])
	}
	return v, words, nil
}

func mustSplit(sig string) []string {
	l, _ := splitSignature(sig)
	return l
}
