package sqlstore

import "hubbub"

// Retention, as both stores apply it: appends add at the top of a room's log and Prune only
// ever cuts a prefix, so each limit of a hubbub.Retention is a cut, a seq below which Prune
// deletes (range deletes on primary keys): the messages, the entries (all of them older than
// the oldest message kept, and those that change a message it deletes) and the reactions.
// The room's last seq stays, so seqs are never reused.

// KeepsAll reports whether ret keeps every message, so that Prune has nothing to look at.
func KeepsAll(ret hubbub.Retention) bool { return ret.MaxPerRoom <= 0 && ret.MaxAge <= 0 }

// Cut returns the lowest seq of a room that ret keeps, for a room whose every seq is a
// message (the log before it held other entries); Prune deletes the seqs below it, and a cut
// of 1 or less deletes nothing. last is the room's last seq. firstYoung is the seq of its
// oldest message not older than ret.MaxAge, or last+1 if every message is older; it is read
// only when ret.MaxAge is set. A store finds it by walking the room from its oldest message,
// so the cost of a prune is what it deletes plus one row per room.
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

// Excess returns how many of a room's oldest messages ret.MaxPerRoom removes from a room
// that holds kept messages: 0 if it keeps them all. Other entries take seqs too, so a store
// cannot tell the cut from the room's last seq: it counts the messages a room holds as it goes,
// skips the Excess oldest (the rows it is about to delete anyway) and cuts at the next.
func Excess(ret hubbub.Retention, kept int64) int64 {
	if n := int64(ret.MaxPerRoom); n > 0 && kept > n {
		return kept - n
	}
	return 0
}

// LogCut returns the lowest seq of a room's log that ret keeps; Prune deletes below it, and a
// cut of 1 or less deletes nothing. firstKept is the seq of the oldest message MaxPerRoom
// keeps (0 if Excess is 0); firstYoung is as for Cut (the room's last seq + 1 if every
// message is older than MaxAge), read only when ret.MaxAge is set. The higher cut wins.
func LogCut(ret hubbub.Retention, firstKept, firstYoung int64) int64 {
	cut := firstKept
	if ret.MaxAge > 0 {
		cut = max(cut, firstYoung)
	}
	return cut
}

// CheckSeqGap refuses a gap hubbub.Store.SkipSeqs does not take: 0, or above hubbub.MaxSeqGap.
func CheckSeqGap(gap uint64) error {
	if gap == 0 || gap > hubbub.MaxSeqGap {
		return hubbub.Errorf(hubbub.ECodeBadField, "a gap of seqs is 1 to %d, not %d", hubbub.MaxSeqGap, gap)
	}
	return nil
}

// SeqGapTooFar is SkipSeqs' refusal of a gap that would take room, now at last, past
// hubbub.MaxSeq.
func SeqGapTooFar(room string, last int64, gap uint64) error {
	return hubbub.Errorf(hubbub.ECodeLimit, "room %q is at seq %d: a gap of %d would take it past %d, the highest seq a room may reach; give a smaller gap",
		room, last, gap, uint64(hubbub.MaxSeq))
}

// NextSeqFloor is the seq floor hubbub.Store.SkipSeqs leaves, from the floor before it, the
// highest last seq of any room before the move, and the gap: max(floor, highest) + gap, or
// ECodeLimit for a floor past hubbub.MaxSeq.
//
// floor + gap is what the floor must reach: a room made after the backup was taken (and lost
// with the part after it) numbered its entries from the floor of its time, which is the
// floor the backup holds, and took fewer entries than the gap (the operator's promise, as for
// every room), so every seq it handed out is at most floor + gap. max(highest + gap, floor)
// would not do: after a first restore the floor may be above every room, and a room lost
// after a second backup then handed out seqs up to floor + gap. The highest room goes into
// the max too, so that the floor sits at or above every room's numbering after the move: a
// room made after the restore starts above every seq the store holds, the one rule an
// operator needs, and that costs no more seqs up to MaxSeq than the move itself.
func NextSeqFloor(floor, highest, gap uint64) (uint64, error) {
	next := max(floor, highest) + gap
	if next > hubbub.MaxSeq {
		return 0, hubbub.Errorf(hubbub.ECodeLimit, "the seq floor of new rooms is %d: a gap of %d would take it past %d, the highest seq a room may reach; give a smaller gap",
			floor, gap, uint64(hubbub.MaxSeq))
	}
	return next, nil
}
