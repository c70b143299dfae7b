package hub

import (
	"context"

	"hubbub"
)

// Message returns message seq of room in its current state, read from the Store within
// StoreTimeout (the room's memory holds entries as they were appended, not their messages'
// current state); found is false if the room has no message seq (another kind of entry, or
// none). A session reads it to check who sent a message before it shows its revisions.
func (h *Hub) Message(ctx context.Context, roomName string, seq uint64) (m hubbub.Entry, found bool, err error) {
	ctx, cancel := h.storeCtx(ctx)
	defer cancel()
	msgs, err := h.store.Before(ctx, roomName, seq+1, 1)
	if err != nil {
		h.log.Error("store read message failed", "room", roomName, "seq", seq, "err", err)
		return hubbub.Entry{}, false, hubbub.Errorf(hubbub.ECodeUnavailable, "message unavailable; try again")
	}
	if len(msgs) == 0 || msgs[0].Seq != seq {
		return hubbub.Entry{}, false, nil
	}
	return msgs[0], true, nil
}
