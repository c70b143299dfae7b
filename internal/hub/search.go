package hub

import (
	"context"
	"errors"

	"hubbub"
)

// Search returns a page of the messages of q.Rooms that match q.Text (Store.Search), with the
// reactions of user id viewer marked (Reaction.Me; "" marks none), as a history page marks
// them. The caller has checked that the user may read every room of q.Rooms, and bounds the
// search's time with ctx. A refusal of the query (empty, too long, a bad cursor) is returned
// as the store made it; a search that ran out of time, or a store that failed, is unavailable.
func (h *Hub) Search(ctx context.Context, q hubbub.SearchQuery, viewer string) (hubbub.SearchPage, error) {
	start := h.cfg.Metrics.Now()
	page, err := h.store.Search(ctx, q)
	h.cfg.Metrics.StoreRead(start)
	var refused *hubbub.Error
	switch {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded):
		return hubbub.SearchPage{}, hubbub.Errorf(hubbub.ECodeUnavailable, "the search took too long; add words, or search one room")
	case errors.As(err, &refused) && refused.Code != hubbub.ECodeInternal && refused.Code != hubbub.ECodeUnavailable:
		return hubbub.SearchPage{}, err
	default:
		h.log.Error("store search failed", "rooms", len(q.Rooms), "err", err)
		return hubbub.SearchPage{}, hubbub.Errorf(hubbub.ECodeUnavailable, "search unavailable; try again")
	}
	if err := h.markHits(ctx, viewer, page.Hits); err != nil {
		h.log.Error("store reacted by failed", "err", err)
		return hubbub.SearchPage{}, hubbub.Errorf(hubbub.ECodeUnavailable, "search unavailable; try again")
	}
	return page, nil
}

// markHits sets Reaction.Me on the reactions of hits that user id viewer holds: one read of the
// Store per room whose hits carry reactions (ReactedBy over the seqs of that room's hits), none
// if no hit does.
func (h *Hub) markHits(ctx context.Context, viewer string, hits []hubbub.SearchHit) error {
	if viewer == "" {
		return nil
	}
	type span struct{ from, to uint64 }
	spans := map[string]span{}
	for i := range hits {
		m := &hits[i].Message
		if len(m.Reactions) == 0 {
			continue
		}
		s, ok := spans[m.Room]
		if !ok || m.Seq < s.from {
			s.from = m.Seq
		}
		s.to = max(s.to, m.Seq)
		spans[m.Room] = s
	}
	for room, s := range spans {
		start := h.cfg.Metrics.Now()
		mine, err := h.store.ReactedBy(ctx, room, viewer, s.from, s.to)
		h.cfg.Metrics.StoreRead(start)
		if err != nil {
			return err
		}
		held := make(map[hubbub.ReactionKey]bool, len(mine))
		for _, k := range mine {
			held[k] = true
		}
		for i := range hits {
			m := &hits[i].Message
			if m.Room != room {
				continue
			}
			for j := range m.Reactions {
				m.Reactions[j].Me = held[hubbub.ReactionKey{Seq: m.Seq, Emoji: m.Reactions[j].Emoji}]
			}
		}
	}
	return nil
}
