package sqlstore

import "hubbub"

// Retention, as both stores apply it: a room's stored messages are always one contiguous
// range of seqs ending at its last seq, because appends add at the top and Prune only ever
// cuts a prefix. Each limit of a hubbub.Retention is therefore a cut, a seq below which
// Prune deletes (a range delete on the primary key), and the room's last seq stays, so seqs
// are never reused.

// KeepsAll reports whether ret keeps every message, so that Prune has nothing to look at.
func KeepsAll(ret hubbub.Retention) bool { return ret.MaxPerRoom <= 0 && ret.MaxAge <= 0 }

// Cut returns the lowest seq of a room that ret keeps; Prune deletes the seqs below it, and
// a cut of 1 or less deletes nothing. last is the room's last seq. firstYoung is the seq of
// its oldest message not older than ret.MaxAge, or last+1 if every message is older; it is
// read only when ret.MaxAge is set. A store finds it by walking the room from its oldest
// message, so the cost of a prune is what it deletes plus one row per room.
//
// MaxPerRoom cuts below last-MaxPerRoom+1 and MaxAge below firstYoung; the higher cut wins.
func Cut(ret hubbub.Retention, last, firstYoung int64) int64 {
	var cut int64
	if n := int64(ret.MaxPerRoom); n > 0 && last > n {
		cut = last - n + 1
	}
	if ret.MaxAge > 0 {
		cut = max(cut, firstYoung)
	}
	return cut
}
