package fulltext

import (
	"strconv"
	"strings"

	"hubbub"
)

// Query is a parsed search: every Term must match (AND).
type Query struct {
	// Terms are in the order the user typed them, without repeats.
	Terms []Term
}

// Term is one thing a query looks for.
type Term struct {
	// Tokens are folded tokens that must appear next to each other, in order: one for a word,
	// several for a CJK run or a quoted phrase.
	Tokens []string
	// Prefix is true for a word typed outside quotes: it matches any token that begins with it.
	Prefix bool
}

// Parse parses a query as the user typed it: words (each a prefix), runs of CJK characters
// (adjacent tokens) and "quoted phrases" (adjacent tokens, not prefixes; an unclosed quote
// runs to the end). It fails with ECodeLimit for a text over hubbub.MaxSearchQueryLen bytes
// and ECodeEmpty for one with nothing to search for.
func Parse(text string) (Query, error) {
	if len(text) > hubbub.MaxSearchQueryLen {
		return Query{}, hubbub.Errorf(hubbub.ECodeLimit, "search text is longer than %d bytes", hubbub.MaxSearchQueryLen)
	}
	var q Query
	seen := map[string]bool{}
	add := func(t Term) {
		if len(t.Tokens) == 0 {
			return
		}
		k := strconv.FormatBool(t.Prefix) + "\x00" + strings.Join(t.Tokens, "\x00")
		if !seen[k] {
			seen[k] = true
			q.Terms = append(q.Terms, t)
		}
	}
	for i, part := range strings.Split(text, `"`) {
		if i%2 == 1 { // inside quotes
			add(Term{Tokens: Tokens(part)})
			continue
		}
		var run []string // the CJK run being read
		runEnd := -1
		scan(part, func(t token) {
			if t.cjk && (len(run) == 0 || t.start <= runEnd) {
				run = append(run, t.text)
				runEnd = t.end
				return
			}
			add(Term{Tokens: run})
			run = nil
			if t.cjk {
				run = []string{t.text}
				runEnd = t.end
				return
			}
			add(Term{Tokens: []string{t.text}, Prefix: true})
		})
		add(Term{Tokens: run})
	}
	if len(q.Terms) == 0 {
		return Query{}, hubbub.Errorf(hubbub.ECodeEmpty, "search text has no word to search for")
	}
	return q, nil
}

// FTS5 renders q as an SQLite FTS5 MATCH expression over the column col (indexed with the
// ascii tokenizer over Fold's output). Every token is a quoted string, so no character of the
// user's text is FTS5 syntax.
func (q Query) FTS5(col string) string {
	var b strings.Builder
	for i, t := range q.Terms {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(col)
		b.WriteString(" : ")
		writeFTSString(&b, strings.Join(t.Tokens, " "))
		if t.Prefix {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// writeFTSString writes s as an FTS5 string: in double quotes, a double quote doubled.
func writeFTSString(b *strings.Builder, s string) {
	b.WriteByte('"')
	b.WriteString(strings.ReplaceAll(s, `"`, `""`))
	b.WriteByte('"')
}

// Match reports whether text matches q (every term), and how many of its tokens the terms
// matched and how many tokens it has: the in-memory store's rank.
func (q Query) Match(text string) (ok bool, hits, tokens int) {
	toks := Tokens(text)
	for _, t := range q.Terms {
		n := len(t.matches(toks))
		if n == 0 {
			return false, 0, len(toks)
		}
		hits += n
	}
	return true, hits, len(toks)
}

// matches returns the index of each place t matches toks.
func (t Term) matches(toks []string) []int {
	var at []int
	for i := 0; i+len(t.Tokens) <= len(toks); i++ {
		ok := true
		for j, w := range t.Tokens {
			if t.Prefix {
				ok = strings.HasPrefix(toks[i+j], w)
			} else {
				ok = toks[i+j] == w
			}
			if !ok {
				break
			}
		}
		if ok {
			at = append(at, i)
		}
	}
	return at
}
