package postgres

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// tsvectorBinary is a tsvector in PostgreSQL's binary form (fulltext.TSVectorBinary), sent
// as a parameter of type tsvector or tsvector[] as it is: the database checks it instead of
// parsing a literal (the search index's rows, ≈ 5–10 µs of its CPU a message less).
type tsvectorBinary []byte

// tsvectorCodec is pgx's tsvector codec, which also encodes a tsvectorBinary: as it is in
// binary, as the literal it stands for in text (a simple-protocol connection).
type tsvectorCodec struct{ pgtype.TSVectorCodec }

// PlanEncode implements pgtype.Codec.
func (c tsvectorCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.(tsvectorBinary); ok {
		if format == pgtype.BinaryFormatCode {
			return encodeTSVectorBinary{}
		}
		return encodeTSVectorText{}
	}
	return c.TSVectorCodec.PlanEncode(m, oid, format, value)
}

// registerTSVector makes conn encode tsvectorBinary parameters (AfterConnect).
func registerTSVector(conn *pgx.Conn) {
	m := conn.TypeMap()
	t := &pgtype.Type{Name: "tsvector", OID: pgtype.TSVectorOID, Codec: tsvectorCodec{}}
	m.RegisterType(t)
	m.RegisterType(&pgtype.Type{Name: "_tsvector", OID: pgtype.TSVectorArrayOID, Codec: &pgtype.ArrayCodec{ElementType: t}})
	// For the simple protocol, which names no parameter's type: the Go types say it.
	m.RegisterDefaultPgType(tsvectorBinary(nil), "tsvector")
	m.RegisterDefaultPgType([]tsvectorBinary(nil), "_tsvector")
}

type encodeTSVectorBinary struct{}

// Encode implements pgtype.EncodePlan.
func (encodeTSVectorBinary) Encode(value any, buf []byte) ([]byte, error) {
	return append(buf, value.(tsvectorBinary)...), nil
}

type encodeTSVectorText struct{}

var errTSVectorBinary = errors.New("postgres: a malformed binary tsvector")

// Encode implements pgtype.EncodePlan: the literal of the binary form ('lexeme':1,2 …; a
// quote or a backslash of a lexeme escaped).
func (encodeTSVectorText) Encode(value any, buf []byte) ([]byte, error) {
	b := []byte(value.(tsvectorBinary))
	if len(b) < 4 {
		return nil, errTSVectorBinary
	}
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	for i := range n {
		end := bytes.IndexByte(b, 0)
		if end < 0 || len(b) < end+3 {
			return nil, errTSVectorBinary
		}
		if i > 0 {
			buf = append(buf, ' ')
		}
		buf = append(buf, '\'')
		for _, c := range b[:end] {
			if c == '\'' || c == '\\' {
				buf = append(buf, '\\')
			}
			buf = append(buf, c)
		}
		buf = append(buf, '\'')
		npos := int(binary.BigEndian.Uint16(b[end+1:]))
		b = b[end+3:]
		if len(b) < 2*npos {
			return nil, errTSVectorBinary
		}
		for j := range npos { // the position's low 14 bits; its weight is D, written as none
			if j == 0 {
				buf = append(buf, ':')
			} else {
				buf = append(buf, ',')
			}
			buf = strconv.AppendUint(buf, uint64(binary.BigEndian.Uint16(b[2*j:])&0x3fff), 10)
		}
		b = b[2*npos:]
	}
	if len(b) != 0 {
		return nil, errTSVectorBinary
	}
	return buf, nil
}
