package busctl

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// jnode is a JSON value with object keys kept in wire order, as sd-json
// keeps them.
type jnode struct {
	kind  byte // 's' string, 'n' number or literal, 'a' array, 'o' object
	text  string
	elems []jnode // array elements; objects: key, value, key, value...
}

func jstr(s string) jnode { return jnode{kind: 's', text: s} }

func jobj(kv ...jnode) jnode { return jnode{kind: 'o', elems: kv} }

// jsonValue converts v as busctl's JSON dump does: variants become
// {"type":SIG,"data":VALUE}, arrays of dict entries become objects.
func jsonValue(v Value) jnode {
	switch v.Sig[0] {
	case 'v':
		return jobj(jstr("type"), jstr(v.Elems[0].Sig), jstr("data"), jsonValue(v.Elems[0]))
	case 'a':
		if v.Sig[1] == '{' {
			o := jnode{kind: 'o'}
			for _, e := range v.Elems {
				k := e.Elems[0]
				key := basicText(k)
				o.elems = append(o.elems, jstr(key), jsonValue(e.Elems[1]))
			}
			return o
		}
		fallthrough
	case '(', '{':
		a := jnode{kind: 'a', elems: []jnode{}}
		for _, e := range v.Elems {
			a.elems = append(a.elems, jsonValue(e))
		}
		return a
	case 's', 'o', 'g':
		return jstr(v.String())
	case 'b':
		return jnode{kind: 'n', text: strconv.FormatBool(v.V.(bool))}
	case 'd':
		f := v.V.(float64)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return jnode{kind: 'n', text: "null"}
		}
		return jnode{kind: 'n', text: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	return jnode{kind: 'n', text: basicText(v)}
}

// JSONMessage is a message body as busctl --json prints a reply.
func JSONMessage(values []Value) jnode {
	data := jnode{kind: 'a', elems: []jnode{}}
	for _, v := range values {
		data.elems = append(data.elems, jsonValue(v))
	}
	return jobj(jstr("type"), jstr(Signature(values)), jstr("data"), data)
}

// JSONVariant is a property value as busctl get-property --json prints it.
func JSONVariant(v Value) jnode {
	return jobj(jstr("type"), jstr(v.Sig), jstr("data"), jsonValue(v))
}

func quoteJSON(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// Format writes n compactly (short) or as sd-json's pretty form (tabs,
// " : " between key and value).
func (n jnode) Format(pretty bool) string {
	var b strings.Builder
	n.write(&b, pretty, 0)
	b.WriteByte('\n')
	return b.String()
}

func (n jnode) write(b *strings.Builder, pretty bool, level int) {
	nl := func(l int) {
		if pretty {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat("\t", l))
		}
	}
	switch n.kind {
	case 's':
		b.WriteString(quoteJSON(n.text))
	case 'n':
		b.WriteString(n.text)
	case 'a', 'o':
		open, close, step := "[", "]", 1
		if n.kind == 'o' {
			open, close, step = "{", "}", 2
		}
		b.WriteString(open)
		for i := 0; i < len(n.elems); i += step {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(level + 1)
			if n.kind == 'o' {
				b.WriteString(quoteJSON(n.elems[i].text))
				if pretty {
					b.WriteString(" : ")
				} else {
					b.WriteByte(':')
				}
				n.elems[i+1].write(b, pretty, level+1)
			} else {
				n.elems[i].write(b, pretty, level+1)
			}
		}
		if len(n.elems) > 0 {
			nl(level)
		}
		b.WriteString(close)
	}
}
