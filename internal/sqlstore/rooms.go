package sqlstore

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"hubbub"
)

// The rules of hubbub.RoomStore that do not depend on the database: what a KindMember entry
// does to its subject's membership (ApplyMember), how a room's member count follows
// (MemberDelta), which users a message mentions as a store indexes them (MentionKeys), and
// the caps of MyRooms' counts. A store reads the subject's membership, asks ApplyMember, and
// writes what it answers beside the entry, in the same transaction.

// CheckRoomRole returns the refusal of a room role hubbub does not know; "" is allowed when
// empty is (a join without a role).
func CheckRoomRole(r hubbub.RoomRole, empty bool) error {
	switch r {
	case hubbub.RoomOwner, hubbub.RoomModerator, hubbub.RoomMember:
		return nil
	case "":
		if empty {
			return nil
		}
	}
	return hubbub.Errorf(hubbub.ECodeBadField, "unknown room role %q", r)
}

// checkRoomChange returns why KindTopic or KindMember entry e cannot be appended in any store.
func checkRoomChange(e *hubbub.Entry) error {
	if e.Kind == hubbub.KindTopic {
		if len(e.Text) > hubbub.MaxTopicLen {
			return hubbub.Errorf(hubbub.ECodeTooLong, "a topic is at most %d bytes", hubbub.MaxTopicLen)
		}
		return nil
	}
	if e.Subject == "" {
		return hubbub.Errorf(hubbub.ECodeBadField, "a member change needs a subject")
	}
	switch e.Action {
	case hubbub.MemberInvite, hubbub.MemberJoin:
		return CheckRoomRole(e.Role, true)
	case hubbub.MemberLeave, hubbub.MemberRemove:
		return nil
	case hubbub.MemberRole:
		return CheckRoomRole(e.Role, false)
	}
	return hubbub.Errorf(hubbub.ECodeBadField, "unknown member action %q", e.Action)
}

// ApplyMember returns what KindMember entry e (checked by CheckAppend) makes of its subject's
// membership, given the current one (nil for none): the membership to store (nil: delete
// it), and e with Role set to the role it records (join, role and invite: the subject's role
// after it), or the refusal the contract names: invite of a member or invitee ECodeExists,
// join of a member ECodeExists, leave and remove of nobody ECodeNotFound, role of someone not
// a member ECodeNotFound. now is the entry's time, the membership's Since. The membership's
// Name is e's SubjectName, else the one it had (an invitee's join, a role change): it is
// whole before KeepOwner sees it, which may hand the room to this member (a joiner).
func ApplyMember(e hubbub.Entry, cur *hubbub.Membership, now time.Time) (*hubbub.Membership, hubbub.Entry, error) {
	name := e.SubjectName
	if name == "" {
		name = e.Subject
	}
	switch e.Action {
	case hubbub.MemberInvite:
		if cur != nil {
			if cur.Invited {
				return nil, e, hubbub.Errorf(hubbub.ECodeExists, "%s is invited already", name)
			}
			return nil, e, hubbub.Errorf(hubbub.ECodeExists, "%s is a member already", name)
		}
		e.Role = cmpOr(e.Role, hubbub.RoomMember)
		return &hubbub.Membership{Room: e.Room, User: e.Subject, Name: e.SubjectName, Role: e.Role, Invited: true, Since: now}, e, nil
	case hubbub.MemberJoin:
		if cur != nil && !cur.Invited {
			return nil, e, hubbub.Errorf(hubbub.ECodeExists, "%s is a member already", name)
		}
		name := e.SubjectName
		if cur != nil {
			e.Role = cur.Role // an invitation's role is kept, and its name if the join gives none
			name = cmp.Or(name, cur.Name)
		}
		e.Role = cmpOr(e.Role, hubbub.RoomMember)
		return &hubbub.Membership{Room: e.Room, User: e.Subject, Name: name, Role: e.Role, Since: now}, e, nil
	case hubbub.MemberLeave, hubbub.MemberRemove:
		if cur == nil {
			return nil, e, hubbub.Errorf(hubbub.ECodeNotFound, "%s is neither a member nor invited", name)
		}
		return nil, e, nil
	case hubbub.MemberRole:
		if cur == nil || cur.Invited {
			return nil, e, hubbub.Errorf(hubbub.ECodeNotFound, "%s is not a member", name)
		}
		next := *cur
		next.Role = e.Role
		if e.SubjectName != "" {
			next.Name = e.SubjectName
		}
		return &next, e, nil
	}
	return nil, e, hubbub.Errorf(hubbub.ECodeBadField, "unknown member action %q", e.Action)
}

func cmpOr(r, or hubbub.RoomRole) hubbub.RoomRole {
	if r == "" {
		return or
	}
	return r
}

// MemberDelta returns how a room's member count changes when a membership goes from cur to
// next (either nil for none): invitees are not counted.
func MemberDelta(cur, next *hubbub.Membership) int {
	counts := func(m *hubbub.Membership) int {
		if m != nil && !m.Invited {
			return 1
		}
		return 0
	}
	return counts(next) - counts(cur)
}

// RoomMention is the user id under which a store indexes a message's @room mention: no user
// has the empty id, and every member's mention count includes it.
const RoomMention = ""

// MentionKeys returns the user ids a message with mentions ms (and @room if room) is indexed
// under for MyRooms' mention counts: each mentioned user once, and RoomMention for @room.
func MentionKeys(ms []hubbub.Mention, room bool) []string {
	var keys []string
	for _, m := range ms {
		if m.User != "" && !slices.Contains(keys, m.User) {
			keys = append(keys, m.User)
		}
	}
	if room {
		keys = append(keys, RoomMention)
	}
	return keys
}

// CheckRoomMeta returns why a room cannot be created with meta: no name, or a topic too long.
func CheckRoomMeta(meta hubbub.RoomMeta, members []hubbub.Membership) error {
	if meta.Name == "" {
		return ErrNoRoom
	}
	if len(meta.Topic) > hubbub.MaxTopicLen {
		return hubbub.Errorf(hubbub.ECodeTooLong, "a topic is at most %d bytes", hubbub.MaxTopicLen)
	}
	for _, m := range members {
		if m.User == "" {
			return hubbub.Errorf(hubbub.ECodeBadField, "a member needs a user id")
		}
		if err := CheckRoomRole(m.Role, true); err != nil {
			return err
		}
	}
	return nil
}

// RoomExists is CreateRoom's refusal of a room that has metadata or entries already.
func RoomExists(room string) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeExists, "the room %q exists already", room)
}

// RoomPrivate is JoinRoom's and LeaveRoom's refusal of a private room, whose members change by
// KindMember entries only.
func RoomPrivate(room string) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeForbidden, "room %s is private", room)
}

// CapUnread caps a count of MyRooms at hubbub.MaxUnreadCount.
func CapUnread(n int) int { return min(n, hubbub.MaxUnreadCount) }

// MyRoomCounts sets r's Unread and Mentions from the counts a store read, capped
// (CapUnread), and to 0 while r.Banned: a banned member may read nothing of the room, and its
// counts were what was said there since, who mentioned them included.
func MyRoomCounts(r *hubbub.MyRoom, unread, mentions int) {
	if r.Banned {
		r.Unread, r.Mentions = 0, 0
		return
	}
	r.Unread, r.Mentions = CapUnread(max(unread, 0)), CapUnread(mentions)
}

// The rules of a room's ownership (hubbub.RoomStore: a room with an owner keeps one, and one
// that lost its owner gets its next member as owner). A store asks KeepOwner of every
// KindMember entry ApplyMember allowed (not CreateRoom's, whose members are as given), and of
// a public room's JoinRoom and LeaveRoom; KeepOwner decides, reading the room through the
// store only when the change can take an owner away or give one, and only what that case
// needs, and the store writes what it answers: the refusal, or the entry Handover makes,
// right after the change, in its transaction.

// KeepOwner decides what keeping its room an owner asks of KindMember entry e, which takes
// its subject's membership from cur to next (nil: none), as ApplyMember allowed it: nothing
// (nil, nil); a refusal (a role change that would leave the room no owner, ECodeForbidden);
// or the member to make owner with an Auto role entry right after e (Handover):
//   - after the only owner's leave or remove, the heir: the first by heirBefore of the other
//     members (not invitees), none if nobody remains;
//   - after a join (not as owner) of a room that keeps an owner but has none (its only owner
//     left it alone, or left it before rooms kept owners), the joiner (next).
//
// members reads the room's members that decide who inherits it: every owner but e.Subject,
// or one of them if any remains, and the first moderator and the first member by
// heirBefore, or more (invitees and e.Subject are passed over); only a change that takes an
// owner away asks for them. ownerless reads whether the room keeps an owner and has none
// now: it was created with one (RoomMeta.CreatedBy set), is no DM, which has none, and no
// member (not invitee) owns it. A room made by joining it by name, or by the API without an
// owner, keeps none, and its first joiner does not own it. A join asks only ownerless, one
// probe a store answers without reading the heirs: who would inherit does not matter to a
// join, only whether anyone owns the room. Each is called only when the change asks, so a
// store reads the room for those entries alone; their errors are returned as they are.
func KeepOwner(e hubbub.Entry, cur, next *hubbub.Membership, members func() ([]*hubbub.Membership, error),
	ownerless func() (bool, error)) (*hubbub.Membership, error) {
	switch {
	case losesOwner(cur, next):
		ms, err := members()
		if err != nil {
			return nil, err
		}
		heir, kept := succession(ms, e.Subject)
		switch {
		case kept:
			return nil, nil
		case e.Action == hubbub.MemberRole:
			return nil, lastOwner(e)
		}
		return heir, nil
	case e.Action == hubbub.MemberJoin && next != nil && next.Role != hubbub.RoomOwner:
		if ok, err := ownerless(); err != nil || !ok {
			return nil, err
		}
		return next, nil
	}
	return nil, nil
}

// losesOwner reports whether a membership going from cur to next (nil: none) takes an owner
// away: cur is a member (not an invitee) with role owner, and next is no owner.
func losesOwner(cur, next *hubbub.Membership) bool {
	return cur != nil && !cur.Invited && cur.Role == hubbub.RoomOwner && (next == nil || next.Role != hubbub.RoomOwner)
}

// lastOwner is the refusal of role entry e, which would leave its room without an owner.
func lastOwner(e hubbub.Entry) *hubbub.Error {
	if e.Subject == e.User {
		return hubbub.Errorf(hubbub.ECodeForbidden, "you are the only owner of room %s: make another member owner first", e.Room)
	}
	return hubbub.Errorf(hubbub.ECodeForbidden, "%s is the only owner of room %s: make another member owner first",
		cmp.Or(e.SubjectName, e.Subject), e.Room)
}

// heirBefore orders the candidates for a room's ownership, the first the heir: moderators
// before members, then who has been a member longest (Since), then by user id, so that every
// store (and every retry) chooses the same one.
func heirBefore(a, b *hubbub.Membership) int {
	if am, bm := a.Role == hubbub.RoomModerator, b.Role == hubbub.RoomModerator; am != bm {
		if am {
			return -1
		}
		return 1
	}
	if c := a.Since.Compare(b.Since); c != 0 {
		return c
	}
	return strings.Compare(a.User, b.User)
}

// succession returns what the owner leaving going means for a room whose members (some or
// all of them, as far as they decide it) are ms: kept if another owner remains (no handover
// is needed), else the heir, the first by heirBefore of the members (not invitees) other than
// leaving, or nil if nobody remains.
func succession(ms []*hubbub.Membership, leaving string) (heir *hubbub.Membership, kept bool) {
	for _, m := range ms {
		if m == nil || m.Invited || m.User == leaving {
			continue
		}
		if m.Role == hubbub.RoomOwner {
			return nil, true
		}
		if heir == nil || heirBefore(m, heir) < 0 {
			heir = m
		}
	}
	return heir, false
}

// IsHandoverOf reports whether h, the entry numbered right after change, is the handover the
// store appended with change (Handover): an Auto entry whose actor is change's subject. A
// resend of change returns it with its first outcome; an Auto entry there from another
// change (a public room's join or leave, which have no entry of their own) is not its.
func IsHandoverOf(h, change *hubbub.Entry) bool {
	return h.Auto && h.Seq == change.Seq+1 && h.User == change.Subject
}

// Handover returns the role entry that makes heir the owner of the room after change, the
// entry KeepOwner asked it of (the only owner's leave or remove, or a join of a room that lost
// its owner): Auto, no ClientID, change's subject as its actor (the departing owner, or the
// joiner), named as change names them (a public room's JoinRoom and LeaveRoom, which store no
// entry, are given the user's stored name), at change's time. The heir is named as its
// membership is (a joiner's as ApplyMember made it), else by its user id, as a read of a
// membership without a name is. The store numbers it (Seq, and an ID from its time).
func Handover(change hubbub.Entry, heir hubbub.Membership) hubbub.Entry {
	return hubbub.Entry{Room: change.Room, Kind: hubbub.KindMember, Action: hubbub.MemberRole, Role: hubbub.RoomOwner, Auto: true,
		User: change.Subject, From: cmp.Or(change.SubjectName, change.Subject), Subject: heir.User,
		SubjectName: cmp.Or(heir.Name, heir.User), Time: change.Time}
}
