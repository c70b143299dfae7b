package fulltext

import (
	"unicode/utf8"

	"hubbub"
)

// snippetLead is about how many characters a snippet shows before its first match.
const snippetLead = 40

// Snippet returns the part of text around the first matches of q, about
// hubbub.MaxSnippetRunes characters, cut into parts with the matched words' parts marked
// Hit. A cut end is marked with "…". A text that q does not match (or an empty q) gives its
// beginning with no hit.
func Snippet(text string, q Query) []hubbub.SnippetPart {
	toks := make([]token, 0, 16)
	scan(text, func(t token) { toks = append(toks, t) })
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = t.text
	}
	// The byte ranges of text that matched, in order, merged where they touch.
	hit := make([]bool, len(toks))
	for _, t := range q.Terms {
		for _, at := range t.matches(words) {
			for j := range t.Tokens {
				hit[at+j] = true
			}
		}
	}
	type span struct{ start, end int }
	var spans []span
	for i, t := range toks {
		if !hit[i] {
			continue
		}
		// A phrase's tokens and the characters between them are one hit.
		if n := len(spans); n > 0 && i > 0 && hit[i-1] && toks[i-1].end <= t.start {
			spans[n-1].end = max(spans[n-1].end, t.end)
			continue
		}
		if n := len(spans); n > 0 && t.start < spans[n-1].end { // tokens of one character
			spans[n-1].end = max(spans[n-1].end, t.end)
			continue
		}
		spans = append(spans, span{t.start, t.end})
	}
	// The window: from a little before the first hit, MaxSnippetRunes characters long.
	from := 0
	if len(spans) > 0 {
		from = spans[0].start
		for n := 0; from > 0 && n < snippetLead; n++ {
			_, w := utf8.DecodeLastRuneInString(text[:from])
			from -= w
		}
		if from > 0 { // start at a word's beginning if one is near
			for i, t := range toks {
				if t.end > from {
					if t.start > from || i == 0 {
						from = t.start
					}
					break
				}
			}
		}
	}
	to := from
	for n := 0; to < len(text) && n < hubbub.MaxSnippetRunes; n++ {
		_, w := utf8.DecodeRuneInString(text[to:])
		to += w
	}
	if len(spans) > 0 && to < spans[0].end { // a first hit longer than the window
		to = spans[0].end
	}
	var parts []hubbub.SnippetPart
	addPart := func(s string, isHit bool) {
		if s == "" {
			return
		}
		if n := len(parts); n > 0 && parts[n-1].Hit == isHit {
			parts[n-1].Text += s
			return
		}
		parts = append(parts, hubbub.SnippetPart{Text: s, Hit: isHit})
	}
	if from > 0 {
		addPart("…", false)
	}
	at := from
	for _, sp := range spans {
		if sp.end <= from {
			continue
		}
		if sp.start >= to {
			break
		}
		s, e := max(sp.start, from), min(sp.end, to)
		addPart(text[at:s], false)
		addPart(text[s:e], true)
		at = e
	}
	addPart(text[at:to], false)
	if to < len(text) {
		addPart("…", false)
	}
	for i := range parts { // a cut inside invalid UTF-8 must not reach a JSON encoder as such
		if !utf8.ValidString(parts[i].Text) {
			parts[i].Text = string([]rune(parts[i].Text))
		}
	}
	return parts
}
