package busctl

import (
	"errors"
	"fmt"
)

// maxDepth bounds container nesting as the D-Bus specification does (32
// arrays and 32 structs); a hostile peer cannot make us recurse deeper.
const maxDepth = 64

var errSignature = errors.New("invalid signature")

// typeLen returns the length of the first complete type in sig.
func typeLen(sig string) (int, error) {
	return typeLenDepth(sig, 0)
}

func typeLenDepth(sig string, depth int) (int, error) {
	if sig == "" {
		return 0, errSignature
	}
	if depth > maxDepth {
		return 0, fmt.Errorf("%w: nested too deeply", errSignature)
	}
	switch c := sig[0]; c {
	case 'y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 's', 'o', 'g', 'h', 'v':
		return 1, nil
	case 'a':
		if len(sig) > 1 && sig[1] == '{' {
			k, err := typeLenDepth(sig[2:], depth+1)
			if err != nil || !basic(sig[2]) {
				return 0, errSignature
			}
			v, err := typeLenDepth(sig[2+k:], depth+1)
			if err != nil || len(sig) <= 2+k+v || sig[2+k+v] != '}' {
				return 0, errSignature
			}
			return 3 + k + v, nil
		}
		n, err := typeLenDepth(sig[1:], depth+1)
		if err != nil {
			return 0, err
		}
		return 1 + n, nil
	case '(':
		i := 1
		for {
			if i >= len(sig) {
				return 0, errSignature
			}
			if sig[i] == ')' {
				if i == 1 {
					return 0, errSignature
				}
				return i + 1, nil
			}
			n, err := typeLenDepth(sig[i:], depth+1)
			if err != nil {
				return 0, err
			}
			i += n
		}
	}
	return 0, errSignature
}

func basic(c byte) bool {
	switch c {
	case 'y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 's', 'o', 'g', 'h':
		return true
	}
	return false
}

// splitSignature splits sig into its complete types.
func splitSignature(sig string) ([]string, error) {
	var out []string
	for sig != "" {
		n, err := typeLen(sig)
		if err != nil {
			return nil, fmt.Errorf("%w %q", errSignature, sig)
		}
		out = append(out, sig[:n])
		sig = sig[n:]
	}
	return out, nil
}

// alignOf is the wire alignment of a value of type sig.
func alignOf(sig string) int {
	switch sig[0] {
	case 'y', 'g', 'v':
		return 1
	case 'n', 'q':
		return 2
	case 'x', 't', 'd', '(', '{':
		return 8
	}
	return 4
}
