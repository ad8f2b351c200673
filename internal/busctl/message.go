package busctl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Message types and flags of the D-Bus wire protocol.
const (
	TypeMethodCall   = 1
	TypeMethodReturn = 2
	TypeError        = 3
	TypeSignal       = 4

	FlagNoReplyExpected = 1
	FlagNoAutoStart     = 2
	FlagAllowInteract   = 4
)

// maxMessage is the largest message the specification allows (128 MiB).
const maxMessage = 128 << 20

// Message is one D-Bus message; Raw holds its bytes as received.
type Message struct {
	Order                   byte
	Type, Flags, Version    byte
	Serial, ReplySerial     uint32
	Path, Interface, Member string
	ErrorName, Destination  string
	Sender, Signature       string
	UnixFDs                 uint32
	Body                    []Value
	Raw                     []byte
}

var typeNames = map[byte]string{TypeMethodCall: "method_call", TypeMethodReturn: "method_return", TypeError: "error", TypeSignal: "signal"}

// TypeName is the message type as busctl names it.
func (m *Message) TypeName() string {
	if n, ok := typeNames[m.Type]; ok {
		return n
	}
	return "(unknown)"
}

// ErrorMessage is the first string argument of an error, if any.
func (m *Message) ErrorMessage() string {
	if len(m.Body) > 0 {
		return m.Body[0].String()
	}
	return ""
}

// ReadMessage reads one message from r.
func ReadMessage(r io.Reader) (*Message, error) {
	raw, err := readRaw(r)
	if err != nil {
		return nil, err
	}
	return ParseMessage(raw)
}

// readRaw reads one message's bytes from r.
func readRaw(r io.Reader) ([]byte, error) {
	head := make([]byte, 16)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, err
	}
	var order binary.ByteOrder
	switch head[0] {
	case 'l':
		order = binary.LittleEndian
	case 'B':
		order = binary.BigEndian
	default:
		return nil, fmt.Errorf("bad byte order %q", head[0])
	}
	bodyLen, fieldsLen := order.Uint32(head[4:]), order.Uint32(head[12:])
	if bodyLen > maxMessage || fieldsLen > maxMessage {
		return nil, errors.New("message too large")
	}
	total := 16 + (int(fieldsLen)+7)/8*8 + int(bodyLen)
	if total > maxMessage {
		return nil, errors.New("message too large")
	}
	raw := make([]byte, total)
	copy(raw, head)
	if _, err := io.ReadFull(r, raw[16:]); err != nil {
		return nil, err
	}
	return raw, nil
}

// ParseMessage decodes a complete message.
func ParseMessage(raw []byte) (*Message, error) {
	budget := maxDecoded
	m, body, err := parseHeader(raw, &budget)
	if err != nil {
		return nil, err
	}
	if err := m.parseBody(body); err != nil {
		return nil, err
	}
	return m, nil
}

// parseHeader decodes a message's header and returns its body's bytes,
// not yet decoded.
func parseHeader(raw []byte, budget *int) (*Message, *decoder, error) {
	if len(raw) < 16 {
		return nil, nil, errShort
	}
	m := &Message{Order: raw[0], Type: raw[1], Flags: raw[2], Version: raw[3], Raw: raw}
	d := &decoder{b: raw, order: binary.LittleEndian, budget: budget}
	if raw[0] == 'B' {
		d.order = binary.BigEndian
	}
	m.Serial = d.order.Uint32(raw[8:])
	bodyLen := int(d.order.Uint32(raw[4:]))
	d.pos = 12
	fields, err := d.value("a(yv)", 0)
	if err != nil {
		return nil, nil, fmt.Errorf("header fields: %w", err)
	}
	for _, f := range fields.Elems {
		code, val := f.Elems[0].V.(uint8), f.Elems[1].Elems[0]
		s, _ := val.V.(string)
		u, _ := val.V.(uint32)
		switch code {
		case 1:
			m.Path = s
		case 2:
			m.Interface = s
		case 3:
			m.Member = s
		case 4:
			m.ErrorName = s
		case 5:
			m.ReplySerial = u
		case 6:
			m.Destination = s
		case 7:
			m.Sender = s
		case 8:
			m.Signature = s
		case 9:
			m.UnixFDs = u
		}
	}
	if err := d.align(8); err != nil {
		return nil, nil, err
	}
	if len(raw)-d.pos != bodyLen {
		return nil, nil, errors.New("body length mismatch")
	}
	return m, &decoder{b: raw[d.pos:], order: d.order, budget: budget}, nil
}

// parseBody decodes the body that parseHeader left.
func (m *Message) parseBody(body *decoder) error {
	var err error
	if m.Body, err = body.values(m.Signature); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if body.pos != len(body.b) {
		return errors.New("body longer than its signature")
	}
	return nil
}

// Marshal encodes m little-endian with serial, setting m.Raw.
func (m *Message) Marshal() ([]byte, error) {
	body := &encoder{}
	sig := ""
	for _, v := range m.Body {
		if err := body.value(v); err != nil {
			return nil, err
		}
		sig += v.Sig
	}
	m.Signature = sig
	fields := Value{Sig: "a(yv)", Elems: []Value{}}
	add := func(code uint8, v Value) {
		fields.Elems = append(fields.Elems, Value{Sig: "(yv)", Elems: []Value{{Sig: "y", V: code}, {Sig: "v", Elems: []Value{v}}}})
	}
	if m.Path != "" {
		add(1, ObjPath(m.Path))
	}
	if m.Interface != "" {
		add(2, Str(m.Interface))
	}
	if m.Member != "" {
		add(3, Str(m.Member))
	}
	if m.ErrorName != "" {
		add(4, Str(m.ErrorName))
	}
	if m.ReplySerial != 0 {
		add(5, U32(m.ReplySerial))
	}
	if m.Destination != "" {
		add(6, Str(m.Destination))
	}
	if sig != "" {
		add(8, Value{Sig: "g", V: sig})
	}
	e := &encoder{b: []byte{'l', m.Type, m.Flags, 1, 0, 0, 0, 0}}
	e.b = le.AppendUint32(e.b, m.Serial)
	if err := e.value(fields); err != nil {
		return nil, err
	}
	e.align(8)
	le.PutUint32(e.b[4:], uint32(len(body.b)))
	m.Order, m.Version = 'l', 1
	m.Raw = append(e.b, body.b...)
	return m.Raw, nil
}
