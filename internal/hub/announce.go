package hub

import (
	"context"

	"hubbub"
)

// Announce publishes entries the Store appended on its own (the membership entries of a room's
// creation, RoomStore.CreateRoom), in their order, to the room's members on every node, as
// Send publishes the entry it appends. Rooms deliver each seq once, so announcing an entry
// twice is harmless; one that never arrives is filled from the Store like any other gap.
func (h *Hub) Announce(ctx context.Context, entries []hubbub.Entry) error {
	for i := range entries {
		e := &entries[i]
		if err := h.broker.Publish(ctx, hubbub.Event{Room: e.Room, Node: h.cfg.Node, Body: hubbub.EntryAppended{Entry: e}}); err != nil {
			h.log.Warn("broker publish failed", "room", e.Room, "seq", e.Seq, "err", err)
			return hubbub.Errorf(hubbub.ECodeUnavailable, "room %q stored but not announced to every node", e.Room)
		}
	}
	return nil
}

// Handover publishes e, the entry by which the store passed a room's ownership on as it
// stored a change of its members (hubbub.Entry.Auto: what Store.Append, RoomStore.JoinRoom
// and RoomStore.LeaveRoom return beside the change), as Announce does; nil is nothing to
// publish.
// It is the one way the hub and the sessions tell a room of its new owner, at once rather
// than with the room's next entry, which would fill the gap from the store.
func (h *Hub) Handover(ctx context.Context, e *hubbub.Entry) error {
	if e == nil {
		return nil
	}
	return h.Announce(ctx, []hubbub.Entry{*e})
}
