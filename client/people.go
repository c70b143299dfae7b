package client

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"hubbub"
	"hubbub/internal/wire"
)

// The conversation requests of hubbub.v1 (docs/protocol.md, Conversations) on one connection:
// rooms with metadata, private rooms and their members, direct messages, the user's list of
// rooms, the directory and read positions. Those with an answer of their own (create, dm,
// part, rooms, directory, members) wait for it; those that append an entry to a room's log
// (invite, remove, topic, role) only write, and their ack or error arrives through the
// Handler like a send's; read is answered by nothing.

// Create creates room with its metadata, the user its owner, and returns the room as the
// user's list now has it. A room that exists is refused with code exists.
func (c *Conn) Create(ctx context.Context, room, topic string, private bool) (*Room, error) {
	f, err := c.request(ctx, reqKey(wire.TypeCreate, room, ""), wire.CreateRequest{Type: wire.TypeCreate, Room: room, Topic: topic, Private: private})
	if err != nil {
		return nil, fmt.Errorf("client: create %s: %w", room, err)
	}
	return f.(*wire.Room), nil
}

// DM opens the direct message between the user and the users names (created on first use,
// found again after) and returns it; its People are the other members' names. A name no user
// holds is refused with code not_found.
//
// The server answers with a room frame, which it also sends unasked to each member of a DM
// another member starts: the DM room frame whose people are the names asked for (compared by
// NameKey) answers the request.
func (c *Conn) DM(ctx context.Context, names []string) (*Room, error) {
	mine := ""
	if w := c.Welcome(); w != nil {
		mine = nameKey(w.Name)
	}
	others := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return nameKey(n) == mine })
	f, err := c.request(ctx, dmKey(others), wire.DMRequest{Type: wire.TypeDM, Names: names})
	if err != nil {
		return nil, fmt.Errorf("client: dm %v: %w", names, err)
	}
	return f.(*wire.Room), nil
}

// Invite invites the user name to private room (its owner and moderators) with the
// idempotency key id. It returns once the frame is written; the ack, or an error frame naming
// id, reaches the Handler.
func (c *Conn) Invite(ctx context.Context, room, name, id string) error {
	if err := c.WriteFrame(ctx, wire.InviteRequest{Type: wire.TypeInvite, Room: room, Name: name, ID: id}); err != nil {
		return fmt.Errorf("client: invite %s to %s: %w", name, room, err)
	}
	return nil
}

// Remove takes the user name (a member or an invitee) out of private room, like Invite.
func (c *Conn) Remove(ctx context.Context, room, name, id string) error {
	if err := c.WriteFrame(ctx, wire.RemoveRequest{Type: wire.TypeRemove, Room: room, Name: name, ID: id}); err != nil {
		return fmt.Errorf("client: remove %s from %s: %w", name, room, err)
	}
	return nil
}

// Topic sets the topic of room ("" clears it), like Invite; members get topic_changed.
func (c *Conn) Topic(ctx context.Context, room, topic, id string) error {
	if err := c.WriteFrame(ctx, wire.TopicRequest{Type: wire.TypeTopic, Room: room, Topic: topic, ID: id}); err != nil {
		return fmt.Errorf("client: topic of %s: %w", room, err)
	}
	return nil
}

// Role sets the room role (owner, moderator or member) of the member name of room, like
// Invite: for the room's owner or a server admin.
func (c *Conn) Role(ctx context.Context, room, name, role, id string) error {
	if err := c.WriteFrame(ctx, wire.RoleRequest{Type: wire.TypeRole, Room: room, Name: name, Role: role, ID: id}); err != nil {
		return fmt.Errorf("client: role of %s in %s: %w", name, room, err)
	}
	return nil
}

// Part leaves room for good (it leaves the user's list of rooms; a private room's membership
// ends) and waits for the server's unroom, which every connection of the user gets. id is the
// idempotency key of a private room's leave entry, whose ack reaches the Handler.
func (c *Conn) Part(ctx context.Context, room, id string) error {
	if _, err := c.request(ctx, reqKey(wire.TypePart, room, ""), wire.PartRequest{Type: wire.TypePart, Room: room, ID: id}); err != nil {
		return fmt.Errorf("client: part %s: %w", room, err)
	}
	return nil
}

// Rooms returns the user's list of rooms with their read positions and unread and mention
// counts. The server also sends this frame unasked right after the welcome.
func (c *Conn) Rooms(ctx context.Context) (*Rooms, error) {
	f, err := c.request(ctx, reqKey(wire.TypeRooms, "", ""), wire.RoomsRequest{Type: wire.TypeRooms})
	if err != nil {
		return nil, fmt.Errorf("client: rooms: %w", err)
	}
	return f.(*wire.Rooms), nil
}

// Directory returns a page of the public rooms whose name or topic contains query, after
// the room after ("" from the first; a page's Next for the next), at most limit (0: the
// server's default).
func (c *Conn) Directory(ctx context.Context, query, after string, limit int) (*Directory, error) {
	req := wire.DirectoryRequest{Type: wire.TypeDirectory, Query: query, After: after, Limit: max(limit, 0)}
	f, err := c.request(ctx, reqKey(wire.TypeDirectory, "", ""), req)
	if err != nil {
		return nil, fmt.Errorf("client: directory: %w", err)
	}
	return f.(*wire.Directory), nil
}

// Members returns a page of the stored members and invitees of room, with their room roles
// and presence, after the user id after ("" from the first; a page's Next for the next).
func (c *Conn) Members(ctx context.Context, room, after string) (*Members, error) {
	f, err := c.request(ctx, reqKey(wire.TypeMembers, room, ""), wire.MembersRequest{Type: wire.TypeMembers, Room: room, After: after})
	if err != nil {
		return nil, fmt.Errorf("client: members of %s: %w", room, err)
	}
	return f.(*wire.Members), nil
}

// Read moves the user's read position in room forward to seq. Nothing is answered; the
// user's other connections get a read frame.
func (c *Conn) Read(ctx context.Context, room string, seq uint64) error {
	if err := c.WriteFrame(ctx, wire.ReadRequest{Type: wire.TypeRead, Room: room, Seq: seq}); err != nil {
		return fmt.Errorf("client: read %s: %w", room, err)
	}
	return nil
}

// conversationKey returns the request a conversation frame answers, and false for frames that
// answer none. Called with mu held (it looks at the waiting requests).
func (c *Conn) conversationKey(f wire.Frame) (string, bool) {
	switch f := f.(type) {
	case *wire.Room:
		if key := reqKey(wire.TypeCreate, f.Room, ""); len(c.waiters[key]) > 0 && !f.DM {
			return key, true
		}
		if f.DM {
			return dmKey(f.People), true
		}
	case *wire.Unroom:
		return reqKey(wire.TypePart, f.Room, ""), true
	case *wire.Rooms:
		return reqKey(wire.TypeRooms, "", ""), true
	case *wire.Directory:
		return reqKey(wire.TypeDirectory, "", ""), true
	case *wire.Members:
		// who and members both answer with members: members' answer is objects with user ids
		// (or a next page), who's the names alone.
		who, members := reqKey(wire.TypeWho, f.Room, ""), reqKey(wire.TypeMembers, f.Room, "")
		objects := f.Next != "" || slices.ContainsFunc(f.Members, func(m wire.RoomMember) bool { return m.User != "" })
		switch {
		case objects || len(c.waiters[who]) == 0 && len(c.waiters[members]) > 0:
			return members, true
		default:
			return who, true
		}
	}
	return "", false
}

// dmWaiter returns the key of a dm request waiting for its answer ("" if none). Called with
// mu held.
func (c *Conn) dmWaiter() string {
	prefix := reqKey(wire.TypeDM, "", "")
	for key, q := range c.waiters {
		if strings.HasPrefix(key, prefix) && len(q) > 0 {
			return key
		}
	}
	return ""
}

// dmKey identifies a dm request by the people it names, other than the user: the room frame
// that answers it lists them as its people. It is reqKey's form without its cut, which is for
// rooms: the names of a dm can be longer than a room's, and two dms must not share a key.
func dmKey(people []string) string {
	return wire.TypeDM + "\x00" + strings.Join(nameKeys(people), "\x00")
}

// nameKeys returns the sorted, distinct NameKeys of names.
func nameKeys(names []string) []string {
	keys := make([]string, 0, len(names))
	for _, n := range names {
		keys = append(keys, nameKey(n))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// nameKey is hubbub.NameKey, or the name itself for a name it refuses (which the server
// refuses too, so no answer will match it).
func nameKey(name string) string {
	if k, err := hubbub.NameKey(name); err == nil {
		return k
	}
	return name
}
