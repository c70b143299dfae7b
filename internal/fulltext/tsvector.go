package fulltext

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// PostgreSQL's index (internal/postgres): each message's tokens as a tsvector whose lexemes
// all begin with its room's key (RoomKey), so that the GIN index holds one entry per room and
// word. A search names its rooms' keys: the index then reads only the rows of those rooms,
// and a prefix ('key.rel':*) expands only into that room's words, never into every row of a
// common word in every room.

// RoomKey returns the short key that stands for room at the head of its lexemes: 7 base-32
// digits of a hash of its name. Two rooms may share one (a hash); it only narrows a search,
// which then checks the room itself.
func RoomKey(room string) string {
	h := fnv.New64a()
	h.Write([]byte(room))
	s := strconv.FormatUint(h.Sum64()>>29, 32) // 35 bits
	return strings.Repeat("0", 7-len(s)) + s
}

// roomSep ends a room's key in a lexeme: no token holds it (tokens are letters and digits),
// so 'key.word' never reads as another room's word.
const roomSep = '.'

// classSep ends a room's key in the lexeme of a message's length class (ClassLexeme): no
// token holds it either, and it sorts apart from roomSep, so no word's prefix reaches it.
const classSep = '#'

// MaxLengthClass is the highest length class (LengthClass).
const MaxLengthClass = 23

// LengthClass returns the length class of a message of n tokens (n > 0), 1…MaxLengthClass:
// n itself up to 16 tokens, then wider bands (17–20, 21–24, 25–32, 33–48, 49–64, 65–128,
// longer). Relevance on PostgreSQL ranks the shorter class first, then by ts_rank within a
// class, so that a search reads the matches of the best classes only, not every match
// (internal/postgres searchRelevance); the bands keep the classes few for a long message,
// which a chat rarely has.
func LengthClass(n int) int {
	switch {
	case n <= 16:
		return max(n, 1)
	case n <= 24:
		return 17 + (n-17)/4
	case n <= 32:
		return 19
	case n <= 48:
		return 20
	case n <= 64:
		return 21
	case n <= 128:
		return 22
	}
	return MaxLengthClass
}

// ClassLexeme returns the tsquery literal of the lexeme that TSVectorIn adds to every vector
// of the room of key whose text is of length class c: 'key#c', c in two digits.
func ClassLexeme(key string, c int) string {
	b := append([]byte{'\''}, appendTSLexemeBody(nil, []byte(key))...)
	b = append(b, classSep, byte('0'+c/10%10), byte('0'+c%10), '\'')
	return string(b)
}

// TSVectorIn returns the tokens of text as a PostgreSQL tsvector literal, for `$1::tsvector`,
// each lexeme the room's key (RoomKey), roomSep and the token, with the token's positions (1,
// 2, …): the positions make "<->" match adjacent tokens, and no PostgreSQL parser or
// dictionary sees the text. A text with tokens also gets the lexeme of its length class
// (ClassLexeme, without a position: no phrase can reach it; ts_rank counts it as one more
// token). It runs on every append, so it allocates a few buffers per text, not one per token.
func TSVectorIn(key, text string) string {
	n := len(text)/4 + 1 // tokens, about, for a text of words
	v := tsBuilder{words: make([]byte, 0, len(text)), ends: make([]int32, 0, n), toks: make([]int32, 0, n)}
	scanBytes(text, v.add)
	return v.literal(key)
}

// tsBuilder gathers a text's tokens for TSVectorIn: each distinct token once (in order of
// first appearance), and which of them each token is.
type tsBuilder struct {
	words []byte           // the distinct tokens, one after another
	ends  []int32          // where each distinct token ends in words
	toks  []int32          // the distinct token of each token, in order
	index map[string]int32 // once a text has many distinct tokens
}

// tsLinear is how many distinct tokens a linear search looks through before a map does.
const tsLinear = 64

// add records the next token of the text.
func (v *tsBuilder) add(tok []byte, _, _ int, _ bool) {
	id := int32(-1)
	if v.index != nil {
		if j, ok := v.index[string(tok)]; ok {
			id = j
		}
	} else {
		start := int32(0)
		for j, end := range v.ends {
			if string(v.words[start:end]) == string(tok) {
				id = int32(j)
				break
			}
			start = end
		}
	}
	if id < 0 {
		id = int32(len(v.ends))
		v.words = append(v.words, tok...)
		v.ends = append(v.ends, int32(len(v.words)))
		switch {
		case v.index != nil:
			v.index[string(tok)] = id
		case len(v.ends) == tsLinear:
			v.index = make(map[string]int32, 4*tsLinear)
			start := int32(0)
			for j, end := range v.ends {
				v.index[string(v.words[start:end])] = int32(j)
				start = end
			}
		}
	}
	v.toks = append(v.toks, id)
}

// positions groups the positions (1, 2, …) of each distinct token by a counting sort of the
// tokens: those of token l are pos[first[l]:first[l+1]], in order.
func (v *tsBuilder) positions() (first, pos []int32) {
	n := len(v.ends)
	first = make([]int32, n+1) // first[l]: where lexeme l's positions begin in pos
	for _, id := range v.toks {
		first[id+1]++
	}
	for l := range n {
		first[l+1] += first[l]
	}
	pos, next := make([]int32, len(v.toks)), make([]int32, n)
	copy(next, first[:n])
	for i, id := range v.toks {
		pos[next[id]] = int32(i + 1)
		next[id]++
	}
	return first, pos
}

// maxPositions is how many positions of a lexeme PostgreSQL keeps.
const maxPositions = 256

// maxPosition is the largest position PostgreSQL stores (its LIMITPOS): the text form clamps a
// larger one, but in the binary form (TSVectorBinary) it would set the weight bits above it
// and PostgreSQL would refuse the whole batch of rows. MaxTokens keeps positions below it;
// the constant below stops compiling if MaxTokens is ever raised past it.
const maxPosition = 16383

const _ = uint(maxPosition - MaxTokens) // MaxTokens must not exceed maxPosition

// literal writes the tsvector literal: each distinct token with its positions, at most
// maxPositions.
func (v *tsBuilder) literal(key string) string {
	n := len(v.ends)
	if n == 0 {
		return ""
	}
	first, pos := v.positions()
	b := make([]byte, 0, len(v.words)+(n+1)*(len(key)+5)+len(v.toks)*4)
	c := LengthClass(len(v.toks))
	b = append(b, '\'')
	b = append(b, key...)
	b = append(b, classSep, byte('0'+c/10%10), byte('0'+c%10), '\'', ' ')
	start := int32(0)
	for l, end := range v.ends {
		if l > 0 {
			b = append(b, ' ')
		}
		b = append(b, '\'')
		b = append(b, key...)
		b = append(b, roomSep)
		b = appendTSLexemeBody(b, v.words[start:end])
		b = append(b, '\'', ':')
		ps := pos[first[l]:first[l+1]]
		if len(ps) > maxPositions {
			ps = ps[:maxPositions]
		}
		for j, p := range ps {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(p), 10)
		}
		start = end
	}
	return string(b)
}

// TSVectorBinary returns the vector TSVectorIn writes for text in the room of key, in
// PostgreSQL's binary form of a tsvector (tsvectorsend: the number of lexemes, then each
// lexeme's bytes, a NUL, the number of its positions and each position, 16 bits each, big
// endian, weight D), for a parameter of type tsvector sent in binary. The database then
// takes the vector as it is, checking the lexemes' order, rather than parsing a literal,
// sorting its lexemes and their positions: that parse was ≈ 5–10 µs of its CPU a message
// (docs/benchmarks/search.md). The lexemes come in PostgreSQL's order (their bytes compared,
// a shorter one first when it is the other's prefix): the length class's first, since
// classSep sorts before roomSep, then the tokens in byte order.
func TSVectorBinary(key, text string) []byte {
	n := len(text)/4 + 1
	v := tsBuilder{words: make([]byte, 0, len(text)), ends: make([]int32, 0, n), toks: make([]int32, 0, n)}
	scanBytes(text, v.add)
	return v.binary(key)
}

// binary writes TSVectorBinary's form of the tokens gathered.
func (v *tsBuilder) binary(key string) []byte {
	n := len(v.ends)
	if n == 0 {
		return []byte{0, 0, 0, 0}
	}
	first, pos := v.positions()
	starts := make([]int32, n)
	for l := 1; l < n; l++ {
		starts[l] = v.ends[l-1]
	}
	word := func(l int32) []byte { return v.words[starts[l]:v.ends[l]] }
	order := make([]int32, n)
	for l := range order {
		order[l] = int32(l)
	}
	slices.SortFunc(order, func(a, b int32) int { return bytes.Compare(word(a), word(b)) })
	b := make([]byte, 0, 4+(n+1)*(len(key)+4)+len(v.words)+len(v.toks)*2+6)
	b = binary.BigEndian.AppendUint32(b, uint32(n+1))
	c := LengthClass(len(v.toks))
	b = append(b, key...)
	b = append(b, classSep, byte('0'+c/10%10), byte('0'+c%10), 0, 0, 0)
	for _, l := range order {
		b = append(b, key...)
		b = append(b, roomSep)
		b = append(b, word(l)...)
		b = append(b, 0)
		ps := pos[first[l]:first[l+1]]
		if len(ps) > maxPositions {
			ps = ps[:maxPositions]
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(ps)))
		for _, p := range ps {
			b = binary.BigEndian.AppendUint16(b, uint16(p))
		}
	}
	return b
}

// ErrTSVectorBinary says a binary tsvector is cut short or has bytes past its end.
var ErrTSVectorBinary = errors.New("fulltext: a malformed binary tsvector")

// AppendTSVectorLiteral appends the literal of bin, a tsvector in TSVectorBinary's form, as
// the text protocol takes it ('lexeme':1,2 …, a lexeme without positions bare): for a
// connection that sends parameters as text.
func AppendTSVectorLiteral(buf, bin []byte) ([]byte, error) {
	if len(bin) < 4 {
		return nil, ErrTSVectorBinary
	}
	n := binary.BigEndian.Uint32(bin)
	bin = bin[4:]
	for i := range n {
		end := bytes.IndexByte(bin, 0)
		if end < 0 || len(bin) < end+3 {
			return nil, ErrTSVectorBinary
		}
		if i > 0 {
			buf = append(buf, ' ')
		}
		buf = append(buf, '\'')
		buf = appendTSLexemeBody(buf, bin[:end])
		buf = append(buf, '\'')
		npos := int(binary.BigEndian.Uint16(bin[end+1:]))
		bin = bin[end+3:]
		if len(bin) < 2*npos {
			return nil, ErrTSVectorBinary
		}
		for j := range npos { // the position's low 14 bits; its weight is D, written as none
			if j == 0 {
				buf = append(buf, ':')
			} else {
				buf = append(buf, ',')
			}
			buf = strconv.AppendUint(buf, uint64(binary.BigEndian.Uint16(bin[2*j:])&0x3fff), 10)
		}
		bin = bin[2*npos:]
	}
	if len(bin) != 0 {
		return nil, ErrTSVectorBinary
	}
	return buf, nil
}

// appendTSLexemeBody appends w as the inside of a quoted tsvector or tsquery lexeme: a quote
// and a backslash escaped by a backslash (a token holds neither; a key may not either).
func appendTSLexemeBody(b, w []byte) []byte {
	for _, c := range w {
		if c == '\'' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	return b
}

// TSQueryIn renders q as a PostgreSQL tsquery literal against the vectors TSVectorIn makes
// for the room of key: a word is 'key.word':*, a run or phrase 'key.a' <-> 'key.b', all
// joined by &. Each lexeme is quoted, so no character of the user's text is tsquery syntax.
func (q Query) TSQueryIn(key string) string {
	var b []byte
	for i, t := range q.Terms {
		if i > 0 {
			b = append(b, " & "...)
		}
		b = append(b, '(')
		for j, w := range t.Tokens {
			if j > 0 {
				b = append(b, " <-> "...)
			}
			b = append(b, '\'')
			b = appendTSLexemeBody(b, []byte(key))
			b = append(b, roomSep)
			b = appendTSLexemeBody(b, []byte(w))
			b = append(b, '\'')
			if t.Prefix {
				b = append(b, ":*"...)
			}
		}
		b = append(b, ')')
	}
	return string(b)
}
