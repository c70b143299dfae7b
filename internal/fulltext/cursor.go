package fulltext

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf8"

	"hubbub"
)

// Key is where a hit stands in a search's order, which a cursor carries: the next page starts
// after it.
type Key struct {
	// Rank is the store's rank of the hit, smaller first (SearchRelevance only; 0 otherwise).
	Rank float64
	// TimeMS is the message's Time in Unix milliseconds.
	TimeMS int64
	// Room and Seq name the message.
	Room string
	Seq  uint64
}

// Before reports whether k comes before o in the order of a search (rank ascending when
// relevance is true; then time descending, room ascending, seq descending).
func (k Key) Before(o Key, relevance bool) bool {
	if relevance && k.Rank != o.Rank {
		return k.Rank < o.Rank
	}
	if k.TimeMS != o.TimeMS {
		return k.TimeMS > o.TimeMS
	}
	if k.Room != o.Room {
		return k.Room < o.Room
	}
	return k.Seq > o.Seq
}

// cursorVersion is the first byte of every cursor.
const cursorVersion = 1

// fingerprint names a query for its cursors: the text, user, time range and order. The rooms
// are not part of it: the rooms a user may read can change between two pages (a room becomes
// active, one is left), and the next page is still the rest of the same order.
func fingerprint(q hubbub.SearchQuery) []byte {
	h := sha256.New()
	order := q.Order
	if order == "" {
		order = hubbub.SearchNewest
	}
	for _, s := range []string{q.Text, q.User, string(order),
		strconv.FormatInt(q.Since.UnixNano(), 10), strconv.FormatBool(q.Since.IsZero()),
		strconv.FormatInt(q.Until.UnixNano(), 10), strconv.FormatBool(q.Until.IsZero())} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return h.Sum(nil)[:8]
}

// EncodeCursor returns the opaque cursor of the page of q that follows k.
func EncodeCursor(q hubbub.SearchQuery, k Key) string {
	b := []byte{cursorVersion}
	b = append(b, fingerprint(q)...)
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(k.Rank))
	b = binary.AppendVarint(b, k.TimeMS)
	b = binary.AppendUvarint(b, k.Seq)
	b = append(b, k.Room...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor returns the key that q.Cursor carries; a cursor this package did not make, or
// made for another query, fails with ECodeBadField.
func DecodeCursor(q hubbub.SearchQuery) (Key, error) {
	bad := hubbub.Errorf(hubbub.ECodeBadField, "cursor is not one of this search")
	b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
	if err != nil || len(b) < 1+8+8 || b[0] != cursorVersion || string(b[1:9]) != string(fingerprint(q)) {
		return Key{}, bad
	}
	var k Key
	k.Rank = math.Float64frombits(binary.BigEndian.Uint64(b[9:17]))
	b = b[17:]
	var n int
	if k.TimeMS, n = binary.Varint(b); n <= 0 {
		return Key{}, bad
	}
	b = b[n:]
	if k.Seq, n = binary.Uvarint(b); n <= 0 {
		return Key{}, bad
	}
	k.Room = string(b[n:])
	if math.IsNaN(k.Rank) || math.IsInf(k.Rank, 0) || k.Seq == 0 || k.Seq > math.MaxInt64 ||
		hubbub.ValidateRoom(k.Room) != nil || !utf8.ValidString(k.Room) {
		return Key{}, bad
	}
	return k, nil
}
