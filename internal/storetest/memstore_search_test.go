package storetest_test

import (
	"context"
	"slices"
	"strings"

	"hubbub"
	"hubbub/internal/fulltext"
)

// Search finds messages by scanning the rooms' current messages and matching each in Go with
// internal/fulltext, which the SQL stores' indexes agree with. Its rank is the share of the
// message's tokens that the query matched (smaller is better, as the cursor wants: negated).
// Bugs: "searchstale" matches a message's first text, not its current one; "searchrooms"
// searches every room; "searchpage" starts a page at its cursor's hit instead of after it;
// "searchcursor" takes any cursor as the first page; "searchrank" ranks by time only;
// "searchcjk" matches a CJK run only as a whole space-separated word.
func (s *memStore) Search(ctx context.Context, q hubbub.SearchQuery) (hubbub.SearchPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.SearchPage{}, err
	}
	if s.bug == "searchcursor" {
		q.Cursor = ""
	}
	p, err := fulltext.Prepare(q)
	if err != nil {
		return hubbub.SearchPage{}, err
	}
	rooms := q.Rooms
	if s.bug == "searchrooms" {
		rooms = slices.Collect(func(yield func(string) bool) {
			for name := range s.rooms {
				if !yield(name) {
					return
				}
			}
		})
	}
	type hit struct {
		key fulltext.Key
		e   hubbub.Entry
	}
	var hits []hit
	seen := map[string]bool{}
	for _, name := range rooms {
		r := s.rooms[name]
		if r == nil || seen[name] {
			continue
		}
		seen[name] = true
		for _, e := range r.entries {
			if !e.IsMessage() || e.Deleted || e.User != q.User && q.User != "" {
				continue
			}
			if ms := e.Time.UnixMilli(); ms < p.SinceMS || ms >= p.UntilMS {
				continue
			}
			text := e.Text
			if s.bug == "searchstale" && len(r.state[e.Seq].revisions) > 0 {
				text = r.state[e.Seq].revisions[0].Text
			}
			ok, n, of := p.Match(text)
			if s.bug == "searchcjk" {
				ok = true
				for _, t := range p.Terms {
					ok = ok && slices.ContainsFunc(strings.Fields(strings.ToLower(text)), func(w string) bool {
						return strings.HasPrefix(w, strings.Join(t.Tokens, ""))
					})
				}
			}
			if !ok {
				continue
			}
			k := fulltext.Key{TimeMS: e.Time.UnixMilli(), Room: name, Seq: e.Seq}
			if p.Relevance && s.bug != "searchrank" && of > 0 {
				k.Rank = -float64(n) / float64(of)
			}
			hits = append(hits, hit{k, e})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		switch {
		case a.key.Before(b.key, p.Relevance):
			return -1
		case b.key.Before(a.key, p.Relevance):
			return 1
		}
		return 0
	})
	if p.After != nil {
		i := 0
		for i < len(hits) && (hits[i].key.Before(*p.After, p.Relevance) || hits[i].key == *p.After && s.bug != "searchpage") {
			i++
		}
		hits = hits[i:]
	}
	var page hubbub.SearchPage
	for i, h := range hits {
		if i == p.Limit {
			page.Next = fulltext.EncodeCursor(q, hits[i-1].key)
			break
		}
		page.Hits = append(page.Hits, hubbub.SearchHit{Message: s.read(s.rooms[h.key.Room], h.e), Snippet: fulltext.Snippet(h.e.Text, p.Query)})
	}
	return page, nil
}
