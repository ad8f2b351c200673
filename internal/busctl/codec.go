package busctl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
	"unsafe"
)

// Value is one D-Bus value in wire order: a basic value in V (uint8, bool,
// int16, uint16, int32, uint32, int64, uint64, float64, string for s, o
// and g, uint32 for the index of an h), or the elements of a container
// (array elements, struct fields, the key and value of a dict entry, the
// one value of a variant). Keeping wire order lets output follow busctl's.
// An "ay" keeps its bytes in V as a []byte (Elems stays nil): a Value per
// byte would cost 56 times the bytes a bus peer sends.
type Value struct {
	Sig   string
	V     any
	Elems []Value
}

// maxArray bounds an array's size as the specification does (64 MiB).
const maxArray = 64 << 20

// maxDecoded bounds what decoding one message may allocate for its
// values (every slot of a slice of Values as it grows, each value's
// boxed basic value and each string's bytes), so that a message of many
// tiny elements from a hostile bus cannot make its reader use many
// times the message's size. Byte arrays cost nothing: they stay slices
// of the message.
const maxDecoded = 32 << 20

// slotCost is what one slot of a slice of Values costs; boxCost what a
// basic value costs in Value.V at most (a string or slice header).
const (
	slotCost = int(unsafe.Sizeof(Value{}))
	boxCost  = int(unsafe.Sizeof([]byte{}))
)

var errShort = errors.New("message truncated")

// errTooComplex is a message whose values would take more than
// maxDecoded to hold.
var errTooComplex = fmt.Errorf("message has more values than capsulectl decodes (more than %d MiB once decoded)", maxDecoded>>20)

type decoder struct {
	b     []byte
	pos   int
	order binary.ByteOrder
	// budget is what may still be allocated for values; see maxDecoded.
	budget *int
}

// spend charges n bytes of decoded values against the budget.
func (d *decoder) spend(n int) error {
	if d.budget == nil {
		return nil
	}
	if *d.budget < n {
		return errTooComplex
	}
	*d.budget -= n
	return nil
}

func (d *decoder) align(n int) error {
	p := (d.pos + n - 1) / n * n
	if p > len(d.b) {
		return errShort
	}
	d.pos = p
	return nil
}

func (d *decoder) take(n int) ([]byte, error) {
	if n < 0 || d.pos+n > len(d.b) {
		return nil, errShort
	}
	s := d.b[d.pos : d.pos+n]
	d.pos += n
	return s, nil
}

func (d *decoder) u32() (uint32, error) {
	if err := d.align(4); err != nil {
		return 0, err
	}
	s, err := d.take(4)
	if err != nil {
		return 0, err
	}
	return d.order.Uint32(s), nil
}

func (d *decoder) str(lenBytes int) (string, error) {
	var n int
	if lenBytes == 1 {
		s, err := d.take(1)
		if err != nil {
			return "", err
		}
		n = int(s[0])
	} else {
		u, err := d.u32()
		if err != nil {
			return "", err
		}
		if u > maxArray {
			return "", errShort
		}
		n = int(u)
	}
	s, err := d.take(n + 1)
	if err != nil {
		return "", err
	}
	if s[n] != 0 {
		return "", errors.New("string not terminated")
	}
	if err := d.spend(n); err != nil {
		return "", err
	}
	return string(s[:n]), nil
}

// grow makes room for one more element in *l, doubling its capacity and
// charging the new slice against the budget, so that what append would
// have allocated along the way is counted.
func (d *decoder) grow(l *[]Value) error {
	if len(*l) < cap(*l) {
		return nil
	}
	n := max(4, 2*cap(*l))
	if err := d.spend(n * slotCost); err != nil {
		return err
	}
	g := make([]Value, len(*l), n)
	copy(g, *l)
	*l = g
	return nil
}

// values decodes the complete types of sig.
func (d *decoder) values(sig string) ([]Value, error) {
	types, err := splitSignature(sig)
	if err != nil {
		return nil, err
	}
	if err := d.spend(len(types) * slotCost); err != nil {
		return nil, err
	}
	out := make([]Value, 0, len(types))
	for _, t := range types {
		v, err := d.value(t, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *decoder) value(sig string, depth int) (Value, error) {
	if depth > maxDepth {
		return Value{}, errors.New("values nested too deeply")
	}
	if err := d.spend(boxCost); err != nil {
		return Value{}, err
	}
	v := Value{Sig: sig}
	if err := d.align(alignOf(sig)); err != nil {
		return v, err
	}
	fixed := func(n int) ([]byte, error) { return d.take(n) }
	switch sig[0] {
	case 'y':
		s, err := fixed(1)
		if err != nil {
			return v, err
		}
		v.V = s[0]
	case 'b':
		s, err := fixed(4)
		if err != nil {
			return v, err
		}
		v.V = d.order.Uint32(s) != 0
	case 'n', 'q':
		s, err := fixed(2)
		if err != nil {
			return v, err
		}
		u := d.order.Uint16(s)
		if sig[0] == 'n' {
			v.V = int16(u)
		} else {
			v.V = u
		}
	case 'i', 'u', 'h':
		s, err := fixed(4)
		if err != nil {
			return v, err
		}
		u := d.order.Uint32(s)
		if sig[0] == 'i' {
			v.V = int32(u)
		} else {
			v.V = u
		}
	case 'x', 't', 'd':
		s, err := fixed(8)
		if err != nil {
			return v, err
		}
		u := d.order.Uint64(s)
		switch sig[0] {
		case 'x':
			v.V = int64(u)
		case 't':
			v.V = u
		default:
			v.V = math.Float64frombits(u)
		}
	case 's', 'o':
		s, err := d.str(4)
		if err != nil {
			return v, err
		}
		if !utf8.ValidString(s) {
			return v, errors.New("string is not valid UTF-8")
		}
		v.V = s
	case 'g':
		s, err := d.str(1)
		if err != nil {
			return v, err
		}
		v.V = s
	case 'v':
		s, err := d.str(1)
		if err != nil {
			return v, err
		}
		if n, err := typeLen(s); err != nil || n != len(s) {
			return v, fmt.Errorf("variant: %w %q", errSignature, s)
		}
		if err := d.spend(slotCost); err != nil {
			return v, err
		}
		inner, err := d.value(s, depth+1)
		if err != nil {
			return v, err
		}
		v.Elems = []Value{inner}
	case 'a':
		n, err := d.u32()
		if err != nil {
			return v, err
		}
		if n > maxArray {
			return v, errors.New("array too long")
		}
		elem := sig[1:]
		if err := d.align(alignOf(elem)); err != nil {
			return v, err
		}
		end := d.pos + int(n)
		if end > len(d.b) {
			return v, errShort
		}
		if elem == "y" {
			v.V = d.b[d.pos:end:end]
			d.pos = end
			break
		}
		v.Elems = []Value{}
		for d.pos < end {
			if err := d.grow(&v.Elems); err != nil {
				return v, err
			}
			e, err := d.value(elem, depth+1)
			if err != nil {
				return v, err
			}
			v.Elems = append(v.Elems, e)
		}
		if d.pos != end {
			return v, errors.New("array length mismatch")
		}
	case '(', '{':
		inner := sig[1 : len(sig)-1]
		types, err := splitSignature(inner)
		if err != nil {
			return v, err
		}
		if err := d.spend(len(types) * slotCost); err != nil {
			return v, err
		}
		v.Elems = make([]Value, 0, len(types))
		for _, t := range types {
			e, err := d.value(t, depth+1)
			if err != nil {
				return v, err
			}
			v.Elems = append(v.Elems, e)
		}
	default:
		return v, fmt.Errorf("%w %q", errSignature, sig)
	}
	return v, nil
}

// encoder writes values little-endian, as busctl does.
type encoder struct {
	b []byte
}

var le = binary.LittleEndian

func (e *encoder) align(n int) {
	for len(e.b)%n != 0 {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) u32(u uint32) {
	e.align(4)
	e.b = le.AppendUint32(e.b, u)
}

func (e *encoder) str(s string, short bool) {
	if short {
		e.b = append(e.b, byte(len(s)))
	} else {
		e.u32(uint32(len(s)))
	}
	e.b = append(e.b, s...)
	e.b = append(e.b, 0)
}

func (e *encoder) value(v Value) error {
	e.align(alignOf(v.Sig))
	switch v.Sig[0] {
	case 'y':
		e.b = append(e.b, v.V.(uint8))
	case 'b':
		b := uint32(0)
		if v.V.(bool) {
			b = 1
		}
		e.b = le.AppendUint32(e.b, b)
	case 'n':
		e.b = le.AppendUint16(e.b, uint16(v.V.(int16)))
	case 'q':
		e.b = le.AppendUint16(e.b, v.V.(uint16))
	case 'i':
		e.b = le.AppendUint32(e.b, uint32(v.V.(int32)))
	case 'u', 'h':
		e.b = le.AppendUint32(e.b, v.V.(uint32))
	case 'x':
		e.b = le.AppendUint64(e.b, uint64(v.V.(int64)))
	case 't':
		e.b = le.AppendUint64(e.b, v.V.(uint64))
	case 'd':
		e.b = le.AppendUint64(e.b, math.Float64bits(v.V.(float64)))
	case 's', 'o':
		e.str(v.V.(string), false)
	case 'g':
		e.str(v.V.(string), true)
	case 'v':
		if len(v.Elems) != 1 {
			return errors.New("variant needs one value")
		}
		e.str(v.Elems[0].Sig, true)
		return e.value(v.Elems[0])
	case 'a':
		e.u32(0)
		at := len(e.b) - 4
		e.align(alignOf(v.Sig[1:]))
		start := len(e.b)
		if b, ok := v.V.([]byte); ok {
			e.b = append(e.b, b...)
		}
		for _, el := range v.Elems {
			if err := e.value(el); err != nil {
				return err
			}
		}
		le.PutUint32(e.b[at:], uint32(len(e.b)-start))
	case '(', '{':
		for _, el := range v.Elems {
			if err := e.value(el); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("%w %q", errSignature, v.Sig)
	}
	return nil
}

// Len is the number of elements of an array.
func (v Value) Len() int {
	if b, ok := v.V.([]byte); ok {
		return len(b)
	}
	return len(v.Elems)
}

// Str, ObjPath and U32 build basic values.
func Str(s string) Value     { return Value{Sig: "s", V: s} }
func ObjPath(s string) Value { return Value{Sig: "o", V: s} }
func U32(u uint32) Value     { return Value{Sig: "u", V: u} }

// StrArray builds an "as".
func StrArray(l []string) Value {
	v := Value{Sig: "as", Elems: []Value{}}
	for _, s := range l {
		v.Elems = append(v.Elems, Str(s))
	}
	return v
}

// Strings returns the strings of an "as" (or any array of strings).
func (v Value) Strings() []string {
	var out []string
	for _, e := range v.Elems {
		if s, ok := e.V.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// String returns v's string, or "" if it holds none.
func (v Value) String() string {
	s, _ := v.V.(string)
	return s
}
