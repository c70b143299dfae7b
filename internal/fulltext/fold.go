// Package fulltext is what every store's full-text search shares, so that a query matches the
// same messages on SQLite, PostgreSQL and the in-memory reference store: the folding and
// splitting of text into tokens, the parsing of a query, its rendering as an FTS5 MATCH
// expression and as a PostgreSQL tsquery, the matching of a text in Go, the snippet of a hit
// and the cursor of a page.
//
// The stores never tokenize themselves: they index the token stream made here (SQLite: tokens
// joined by spaces under FTS5's ascii tokenizer, which splits on exactly those spaces since
// every token holds letters and digits only; PostgreSQL: a tsvector literal with the tokens'
// positions), so no store's idea of a word, of case or of Unicode can differ from another's.
//
// Folding: each character is decomposed (NFKD), its combining marks dropped and the rest
// lower-cased, so "Café" and "CAFE" index as "cafe" and "ﬁ" as "fi". A token is a run of
// letters and digits; a character of a script written without spaces (Han, Hiragana,
// Katakana, Hangul) is a token by itself, so a CJK word is found as a run of adjacent tokens
// without a dictionary.
package fulltext

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxTokenBytes is the longest token indexed or searched: a longer run of letters is cut to
// its first MaxTokenBytes bytes (on a character boundary) on both sides, so that it is still
// found by its beginning, and so that no store's limit on a word (PostgreSQL refuses lexemes
// over 2047 bytes) can refuse a message.
const MaxTokenBytes = 200

// MaxTokens is how many tokens of a message are indexed: PostgreSQL keeps positions only up
// to 16383, so the stores index a message's first MaxTokens tokens and agree on what a
// phrase near the end of a very long message matches.
const MaxTokens = 16000

// token is one token of a text: its folded form and the bytes of the original text it came
// from (several tokens may come from one character, as "㍿" folds to four).
type token struct {
	text       string
	start, end int
	cjk        bool
}

// isCJK reports whether r belongs to a script written without spaces between words.
func isCJK(r rune) bool {
	return r >= 0x1100 && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) // Hangul Jamo is the first
}

// isHangulSyllable reports whether r is a precomposed Hangul syllable: NFKD would split it
// into its jamo, which would make one written character three tokens.
func isHangulSyllable(r rune) bool { return r >= 0xAC00 && r <= 0xD7A3 }

// foldRune appends the folded form of r to buf.
func foldRune(buf []rune, r rune) []rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(buf, r)
	}
	if isHangulSyllable(r) {
		return append(buf, r)
	}
	var tmp [utf8.UTFMax]byte
	n := utf8.EncodeRune(tmp[:], r)
	d := norm.NFKD.Bytes(tmp[:n])
	for len(d) > 0 {
		f, w := utf8.DecodeRune(d)
		d = d[w:]
		if unicode.Is(unicode.M, f) {
			continue
		}
		buf = append(buf, unicode.ToLower(f))
	}
	return buf
}

// isWordRune reports whether a folded rune belongs in a (non-CJK) token.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' // folded: no upper case
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// scan calls fn with each token of text, in order, at most MaxTokens of them. Invalid UTF-8
// is a separator.
func scan(text string, fn func(t token)) {
	scanBytes(text, func(tok []byte, start, end int, cjk bool) {
		fn(token{text: string(tok), start: start, end: end, cjk: cjk})
	})
}

// scanBytes is scan with each token's text in a buffer that the next token reuses: Fold, on
// every append's path, allocates nothing per token.
func scanBytes(text string, fn func(tok []byte, start, end int, cjk bool)) {
	var (
		cur        []byte // the current word token
		one        [utf8.UTFMax]byte
		start, end int
		n          int
		buf        []rune
		fold       [8]rune
	)
	flush := func() bool {
		if len(cur) > 0 {
			fn(cur, start, end, false)
			cur = cur[:0]
			n++
		}
		return n < MaxTokens
	}
	for i := 0; i < len(text); {
		r, w := utf8.DecodeRuneInString(text[i:])
		buf = foldRune(fold[:0], r) // an invalid byte is U+FFFD, a symbol: a separator
		for _, f := range buf {
			switch {
			case isCJK(f):
				if !flush() {
					return
				}
				fn(utf8.AppendRune(one[:0], f), i, i+w, true)
				n++
				if n >= MaxTokens {
					return
				}
			case isWordRune(f):
				if len(cur) == 0 {
					start = i
				}
				end = i + w
				if len(cur)+utf8.RuneLen(f) <= MaxTokenBytes {
					cur = utf8.AppendRune(cur, f)
				}
			default:
				if !flush() {
					return
				}
			}
		}
		i += w
	}
	flush()
}

// Fold returns text folded as the index sees it: its tokens, joined by single spaces. It is
// what the SQLite store indexes.
func Fold(text string) string {
	if s, ok := foldASCII(text); ok {
		return s
	}
	return foldRunes(text)
}

// foldASCII is Fold of a text of ASCII only, a byte at a time, and reports false as soon as
// it meets any other byte. Every append's search index folds its text (SQLite's writer, the
// hubbub_search_text function), and most chat text, the load generator's all of it, is
// ASCII: decoding and folding each rune as foldRunes does was most of the index's own Go
// work (issue 19's durable ingress, docs/benchmarks/ingress.md). The tokens are foldRunes':
// A–Z lower-cased, a run of a–z and 0–9 a token cut to MaxTokenBytes, anything else a
// separator, at most MaxTokens tokens (FuzzFoldASCII holds the two together).
func foldASCII(text string) (string, bool) {
	b := make([]byte, 0, len(text))
	n, run := 0, 0 // tokens begun, bytes of the current token's run (cut ones too)
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= utf8.RuneSelf {
			return "", false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			run = 0
			continue
		}
		if run == 0 {
			if n == MaxTokens {
				// foldRunes stops here too, but only a non-ASCII byte later sends the text
				// there: scan on for one, so that both paths see the same text.
				for ; i < len(text); i++ {
					if text[i] >= utf8.RuneSelf {
						return "", false
					}
				}
				break
			}
			if n > 0 {
				b = append(b, ' ')
			}
			n++
		}
		if run < MaxTokenBytes {
			b = append(b, c)
		}
		run++
	}
	return string(b), true
}

// foldRunes is Fold of any text: each rune decoded and folded (foldRune).
func foldRunes(text string) string {
	b := make([]byte, 0, len(text))
	scanBytes(text, func(tok []byte, _, _ int, _ bool) {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, tok...)
	})
	return string(b)
}

// Tokens returns the folded tokens of text, in order.
func Tokens(text string) []string {
	var out []string
	scan(text, func(t token) { out = append(out, t.text) })
	return out
}
