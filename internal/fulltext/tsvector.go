package fulltext

import (
	"hash/fnv"
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

// TSVectorIn returns the tokens of text as a PostgreSQL tsvector literal, for `$1::tsvector`,
// each lexeme the room's key (RoomKey), roomSep and the token, with the token's positions (1,
// 2, …): the positions make "<->" match adjacent tokens, and no PostgreSQL parser or
// dictionary sees the text.
func TSVectorIn(key, text string) string {
	// The tokens in order of first appearance, each with its positions; a message has few, so
	// a linear search finds a repeat faster than a map would.
	type lexeme struct {
		start, end int // in words
		pos        []int
	}
	var (
		words []byte
		lexs  []lexeme
		index map[string]int // once a text has many tokens
		n     int
	)
	scanBytes(text, func(tok []byte, _, _ int, _ bool) {
		n++
		i := -1
		if index != nil {
			if j, ok := index[string(tok)]; ok {
				i = j
			}
		} else {
			for j := range lexs {
				if string(words[lexs[j].start:lexs[j].end]) == string(tok) {
					i = j
					break
				}
			}
		}
		if i < 0 {
			i = len(lexs)
			start := len(words)
			words = append(words, tok...)
			lexs = append(lexs, lexeme{start: start, end: len(words)})
			if index != nil {
				index[string(tok)] = i
			} else if len(lexs) == 64 {
				index = make(map[string]int, 128)
				for j, l := range lexs {
					index[string(words[l.start:l.end])] = j
				}
			}
		}
		if len(lexs[i].pos) < 256 { // PostgreSQL keeps at most 256 positions of a lexeme
			lexs[i].pos = append(lexs[i].pos, n)
		}
	})
	b := make([]byte, 0, len(words)+len(lexs)*(len(key)+8)+n*3)
	for i, l := range lexs {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, '\'')
		b = append(b, key...)
		b = append(b, roomSep)
		b = appendTSLexemeBody(b, words[l.start:l.end])
		b = append(b, '\'', ':')
		for j, p := range l.pos {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(p), 10)
		}
	}
	return string(b)
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
