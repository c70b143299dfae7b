package storetest_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"hubbub"
)

// memStore is a minimal, obviously correct hubbub.Store used to check the suite itself: it
// must pass, and each bug it can be told to have must make the suite fail. Like every store
// it implements the whole interface, moderation and people included.
type memStore struct {
	bug    string // "" for a correct store; see bugs in suite_test.go
	ret    hubbub.Retention
	now    func() time.Time // the store's clock
	closed bool             // guarded by mu

	*memData // shared by the handles of one store (again)
}

// memData is what a store holds: a second handle on it (a second node, or the store opened
// again after a restart) sees the same.
type memData struct {
	mu        sync.Mutex
	rooms     map[string]*memRoom
	sanctions map[sanctionKey]hubbub.Sanction
	ids       int
	pausers   int // the racing bugs' callers that have reached pause (memstore_people_test.go)

	// The people of the store (memstore_people_test.go).
	users    map[string]*memUser // by id
	sessions map[string]hubbub.LoginSession
	invites  map[string]*memInvite
	metas    map[string]*hubbub.RoomMeta              // the stored fields only
	members  map[string]map[string]*hubbub.Membership // by room, then user
	reads    map[[2]string]uint64                     // by user and room

	files map[string]*memFile // by id (memstore_files_test.go)

	commands memCommands                     // slash commands (memstore_commands_test.go)
	out      *memOutbox                      // webhooks, outbox, deliveries (memstore_outbox_test.go)
	bots     map[string]*memBot              // by user id (memstore_bots_test.go)
	gens     hubbub.Generations              // memstore_generations_test.go
	hooks    map[string]*hubbub.IncomingHook // by id
	restores []hubbub.Restore                // SkipSeqs' records, oldest first
}

// floor is the seq floor: the last restore's, 0 before any.
func (d *memData) floor() uint64 {
	if len(d.restores) == 0 {
		return 0
	}
	return d.restores[len(d.restores)-1].Floor
}

// sanctionKey is what a sanction replaces on: one sanction per room, user and kind.
type sanctionKey struct {
	room, user string
	kind       hubbub.SanctionKind
}

// memRoom is one room: its log, and the state of each message beside it.
type memRoom struct {
	last  uint64 // the highest seq ever assigned
	first uint64 // the seq of the room's first entry (0: none yet)
	// entries is the log, ascending by seq. A message's entry holds the message's current
	// text, mentions, Deleted and EditedAt; the rest of its state is in state.
	entries []hubbub.Entry
	state   map[uint64]*memState // by message seq
}

// memState is what a message's entry does not hold of its current state.
type memState struct {
	revisions []hubbub.Revision // every text, oldest first; nil once deleted
	held      []memReaction     // the reactions held now, in the order they were made
	emoji     []string          // the emoji held now, each in the order it was added since none held it
	replies   int               // ReplyCount
	deletedBy uint64            // seq of the delete entry that made the tombstone (0: none)
}

// memReaction is one user's reaction on a message: name is the name they had then.
type memReaction struct {
	emoji, name, user string
}

// holds reports whether reaction h is the one the actor of e holds. Bug "reactname": by name.
func (s *memStore) holds(h memReaction, e hubbub.Entry) bool {
	if s.bug == "reactname" {
		return h.name == e.From
	}
	return h.user == e.User
}

// sameAuthor reports whether e's actor sent message m. Bug "authorname": by name.
func (s *memStore) sameAuthor(m, e hubbub.Entry) bool {
	if s.bug == "authorname" {
		return m.From == e.From
	}
	return m.User == e.User
}

func newMemStore(ret hubbub.Retention, bug string) *memStore {
	return &memStore{bug: bug, ret: ret, now: time.Now, memData: &memData{
		rooms: map[string]*memRoom{}, sanctions: map[sanctionKey]hubbub.Sanction{},
		users: map[string]*memUser{}, sessions: map[string]hubbub.LoginSession{}, invites: map[string]*memInvite{},
		metas: map[string]*hubbub.RoomMeta{}, members: map[string]map[string]*hubbub.Membership{}, reads: map[[2]string]uint64{},
		files: map[string]*memFile{}, out: newMemOutbox(),
		bots: map[string]*memBot{}, hooks: map[string]*hubbub.IncomingHook{},
	}}
}

// again returns another handle on s's data, as a second node on one database or the store
// opened again on its file.
func (s *memStore) again() *memStore {
	data := s.memData
	if s.bug == "reopenreads" { // read positions are not durable
		data = &memData{
			rooms: data.rooms, sanctions: data.sanctions, ids: data.ids,
			users: data.users, sessions: data.sessions, invites: data.invites,
			metas: data.metas, members: data.members, reads: map[[2]string]uint64{}, files: data.files,
			commands: data.commands, out: data.out,
			bots: data.bots, hooks: data.hooks,
		}
	}
	return &memStore{bug: s.bug, ret: s.ret, now: s.now, memData: data}
}

var _ hubbub.Store = (*memStore)(nil)

var errClosed = errors.New("memstore: closed")

func (s *memStore) check(ctx context.Context) error {
	if s.closed && s.bug != "close" {
		return errClosed
	}
	if s.bug == "ctx" {
		return nil
	}
	return ctx.Err()
}

func (s *memStore) room(name string) *memRoom {
	r := s.rooms[name]
	if r == nil {
		r = &memRoom{state: map[uint64]*memState{}}
		s.rooms[name] = r
	}
	return r
}

// index returns the index of entry seq in r.entries, or -1.
func (r *memRoom) index(seq uint64) int {
	i, ok := slices.BinarySearchFunc(r.entries, seq, func(e hubbub.Entry, seq uint64) int { return cmp.Compare(e.Seq, seq) })
	if !ok {
		return -1
	}
	return i
}

// message returns message seq of r and its state, or nil if r has no such message.
func (r *memRoom) message(seq uint64) (*hubbub.Entry, *memState) {
	// A scan, not a search, so that a store with a bug that numbers two entries alike still
	// answers (and fails the suite rather than crash).
	for i := range r.entries {
		if e := &r.entries[i]; e.Seq == seq && e.IsMessage() {
			return e, r.state[seq]
		}
	}
	return nil, nil
}

// read returns a copy of e as the reads return it: a message in its current state.
func (s *memStore) read(r *memRoom, e hubbub.Entry) hubbub.Entry {
	e.Mentions = slices.Clone(e.Mentions)
	e.Attachments = slices.Clone(e.Attachments)
	if s.bug == "noattachread" {
		e.Attachments = nil
	}
	if s.bug == "nobotread" {
		e.Bot = false
	}
	if !e.IsMessage() {
		return e
	}
	st := r.state[e.Seq]
	e.ReplyCount = st.replies
	if s.bug == "noreplycount" {
		e.ReplyCount = 0
	}
	order := st.emoji
	if s.bug == "reactorder" {
		order = slices.Sorted(slices.Values(order))
	}
	for _, emoji := range order {
		rc := hubbub.Reaction{Emoji: emoji}
		for _, h := range st.held {
			if h.emoji != emoji {
				continue
			}
			rc.Count++
			if len(rc.Names) < hubbub.MaxReactionNames || s.bug == "allnames" {
				rc.Names = append(rc.Names, h.name)
			}
		}
		e.Reactions = append(e.Reactions, rc)
	}
	return e
}

func notFound(room string, seq uint64) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeNotFound, "room %s has no message %d", room, seq)
}

// refuse returns err as Append refuses a change. Bugs: "refusedseq" takes a seq all the
// same; "plainerr" returns an error without a code.
func (s *memStore) refuse(r *memRoom, err *hubbub.Error) (hubbub.Entry, bool, error) {
	if s.bug == "refusedseq" {
		r.last++
	}
	if s.bug == "plainerr" {
		return hubbub.Entry{}, false, errors.New(err.Message)
	}
	return hubbub.Entry{}, false, err
}

func (s *memStore) Append(ctx context.Context, in *hubbub.Entry) (*hubbub.Entry, *hubbub.Entry, hubbub.AppendOutcome, error) {
	got, dup, err := s.appendEntry(ctx, *in)
	if err != nil {
		return nil, nil, 0, err
	}
	return &got, s.handoverAfter(got, dup), s.outcome(got, dup), nil
}

// outcome is Append's outcome for got: StoredFirst if it is its room's first entry. Bugs:
// "firstfloor" takes only seq 1 for a room's first entry, as the hub once did, and not one
// above the seq floor; "firstdup" reports a resend of a room's first entry as StoredFirst
// again; "firstnone" never reports StoredFirst.
func (s *memStore) outcome(got hubbub.Entry, dup bool) hubbub.AppendOutcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := got.Seq == s.room(got.Room).first
	switch s.bug {
	case "firstfloor":
		first = got.Seq == 1
	case "firstnone":
		first = false
	case "firstdup":
		dup = false
	}
	switch {
	case dup:
		return hubbub.Duplicate
	case first:
		return hubbub.StoredFirst
	}
	return hubbub.Stored
}

// handoverAfter returns the handover stored right after e (the Auto entry numbered next), if
// e is a member change, as Since reads it. Bugs: "nohandover" returns none; "duphandover"
// none for a resend.
func (s *memStore) handoverAfter(e hubbub.Entry, dup bool) *hubbub.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.Kind != hubbub.KindMember || s.bug == "nohandover" || dup && s.bug == "duphandover" {
		return nil
	}
	r := s.room(e.Room)
	if i := r.index(e.Seq + 1); i >= 0 && r.entries[i].Auto {
		h := s.read(r, r.entries[i])
		return &h
	}
	return nil
}

// appendEntry is Append on a copy of the caller's entry, which it may change.
func (s *memStore) appendEntry(ctx context.Context, in hubbub.Entry) (hubbub.Entry, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Entry{}, false, err
	}
	if in.Room == "" {
		return hubbub.Entry{}, false, errors.New("memstore: entry has no room")
	}
	if in.User == "" && s.bug != "nouserdefault" {
		in.User = in.From // as rows stored before users existed
	}
	r := s.room(in.Room)
	if s.bug == "attachfirst" && in.IsMessage() { // checks the files before the key
		in.Attachments = attachmentIDs(in.Attachments)
		if err := s.checkAttachments(in); err != nil {
			return s.refuse(r, err)
		}
	}
	if s.bug == "dedupafter" && !in.IsMessage() { // checks the target before the key
		if target, _ := r.message(in.Target); target == nil || target.Deleted && in.Kind != hubbub.KindDelete {
			return s.refuse(r, notFound(in.Room, in.Target))
		}
	}
	if in.ClientID != "" && s.bug != "nodedup" {
		for _, old := range r.entries {
			sameActor := old.User == in.User
			if s.bug == "dedupname" {
				sameActor = old.From == in.From
			}
			if old.ClientID == in.ClientID && (sameActor || s.bug == "dedupanysender") &&
				(old.Kind == in.Kind || s.bug != "dedupkind") {
				return s.read(r, old), true, nil
			}
		}
		if s.bug == "dedupconcurrent" { // check, then act without holding the lock
			s.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			s.mu.Lock()
		}
	}

	if err := s.keyHeld(in.Room); err != nil {
		return hubbub.Entry{}, false, err
	}

	// Only what the caller owns is read: the kind's own fields.
	m := hubbub.Entry{Room: in.Room, From: in.From, User: in.User, ClientID: in.ClientID, Kind: in.Kind}
	if s.bug == "forge" {
		m.ID = in.ID
	}
	switch in.Kind {
	case hubbub.KindMessage:
		m.Text, m.ReplyTo, m.Mentions, m.MentionRoom = in.Text, in.ReplyTo, slices.Clone(in.Mentions), in.MentionRoom
		m.Bot = in.Bot
		if s.bug == "forgestate" {
			m.Deleted, m.EditedAt = in.Deleted, in.EditedAt
		}
		if m.ReplyTo > 0 && s.bug != "replyanywhere" {
			if parent, _ := r.message(m.ReplyTo); parent == nil {
				return s.refuse(r, hubbub.Errorf(hubbub.ECodeNotFound, "room %s has no message %d to reply to", in.Room, m.ReplyTo))
			}
		}
		m.Attachments = attachmentIDs(in.Attachments)
		if err := s.checkAttachments(m); err != nil {
			return s.refuse(r, err)
		}
	case hubbub.KindEdit:
		m.Target, m.Text, m.Mentions, m.MentionRoom = in.Target, in.Text, slices.Clone(in.Mentions), in.MentionRoom
		target, _ := r.message(m.Target)
		switch {
		case target == nil || target.Deleted && s.bug != "editdeleted":
			return s.refuse(r, notFound(in.Room, m.Target))
		case !s.sameAuthor(*target, m) && s.bug != "editanyone":
			return s.refuse(r, hubbub.Errorf(hubbub.ECodeForbidden, "only its sender may edit message %d", m.Target))
		}
	case hubbub.KindDelete:
		m.Target, m.Moderator = in.Target, in.Moderator
		target, st := r.message(m.Target)
		switch {
		case target == nil:
			return s.refuse(r, notFound(in.Room, m.Target))
		case !s.sameAuthor(*target, m) && !m.Moderator && s.bug != "deleteanyone":
			return s.refuse(r, hubbub.Errorf(hubbub.ECodeForbidden, "only its sender or a moderator may delete message %d", m.Target))
		case target.Deleted && s.bug != "deleteagain":
			if i := r.index(st.deletedBy); i >= 0 {
				return s.read(r, r.entries[i]), true, nil
			}
			// A tombstone with no delete entry: what a store holds of a message deleted
			// before the room log. (This store never makes one.)
			return hubbub.Entry{Room: in.Room, Kind: hubbub.KindDelete, Target: m.Target}, true, nil
		}
	case hubbub.KindReaction:
		m.Target, m.Emoji = in.Target, in.Emoji
		target, st := r.message(m.Target)
		if target == nil || target.Deleted && s.bug != "reactdeleted" {
			return s.refuse(r, notFound(in.Room, m.Target))
		}
		m.Added = !slices.ContainsFunc(st.held, func(h memReaction) bool { return h.emoji == m.Emoji && s.holds(h, m) })
		if m.Added && !slices.Contains(st.emoji, m.Emoji) && len(st.emoji) >= hubbub.MaxReactionsPerMessage && s.bug != "nolimit" {
			return s.refuse(r, hubbub.Errorf(hubbub.ECodeLimit, "message %d carries %d reactions already", m.Target, len(st.emoji)))
		}
	case hubbub.KindTopic:
		m.Text = in.Text
		if err := s.checkTopic(m); err != nil {
			return s.refuse(r, err)
		}
	case hubbub.KindMember:
		m.Subject, m.SubjectName, m.Action, m.Role = in.Subject, in.SubjectName, in.Action, in.Role
		role, err := s.checkMember(m)
		if err != nil {
			return s.refuse(r, err)
		}
		m.Role = role
		heir, err := s.checkOwner(m)
		if err != nil {
			return s.refuse(r, err)
		}
		if heir != nil {
			if s.bug == "checkrace" { // check, then act without the lock
				s.mu.Unlock()
				time.Sleep(50 * time.Microsecond)
				s.mu.Lock()
			}
			out := s.store(r, m)
			s.handOver(r, m, heir)
			return out, false, nil
		}
		if m.Action == hubbub.MemberJoin && m.Role != hubbub.RoomOwner && s.lostOwner(m.Room) {
			s.joinRace()
			out := s.store(r, m) // the joiner, a member now, owns the room that lost its owner
			s.handOver(r, m, s.members[m.Room][m.Subject])
			return out, false, nil
		}
	case hubbub.KindSanction:
		m.Subject, m.SubjectName, m.Action, m.Text = in.Subject, in.SubjectName, in.Action, in.Text
		if !in.Until.IsZero() {
			m.Until = in.Until.UTC().Truncate(time.Millisecond)
		}
		if err := checkSanction(m); err != nil {
			return s.refuse(r, err)
		}
	default:
		return s.refuse(r, hubbub.Errorf(hubbub.ECodeBadField, "unknown entry kind %q", in.Kind))
	}
	if s.bug == "checkrace" && !m.IsMessage() { // check, then act without the lock
		s.mu.Unlock()
		time.Sleep(50 * time.Microsecond)
		s.mu.Lock()
	}
	if s.bug == "readall" {
		m.Text, m.ReplyTo, m.Mentions = in.Text, in.ReplyTo, in.Mentions
	}
	if s.bug == "countrace" && m.Kind == hubbub.KindReaction { // count, then store without the lock
		m.Count = len(slices.DeleteFunc(slices.Clone(r.state[m.Target].held), func(h memReaction) bool { return h.emoji != m.Emoji }))
		if m.Added {
			m.Count++
		} else {
			m.Count--
		}
		s.mu.Unlock()
		time.Sleep(50 * time.Microsecond)
		s.mu.Lock()
	}
	return s.store(r, m), false, nil
}

// store numbers m, applies it to the state of the message it changes and logs it.
func (s *memStore) store(r *memRoom, m hubbub.Entry) hubbub.Entry {
	last := r.last
	if last == 0 && s.bug != "nofloor" { // the room's first entry
		last = s.floor()
	}
	switch s.bug {
	case "race": // read, then write without holding the lock
		s.mu.Unlock()
		time.Sleep(10 * time.Microsecond)
		s.mu.Lock()
	case "reuse":
		last = 0
		if len(r.entries) > 0 {
			last = r.entries[len(r.entries)-1].Seq
		}
	case "gap":
		if last == 2 {
			last++
		}
	}
	m.Seq = last + 1
	r.last = m.Seq
	if r.first == 0 {
		r.first = m.Seq
	}
	if s.bug == "torn" { // LastSeq moves before the entry is readable
		s.mu.Unlock()
		time.Sleep(100 * time.Microsecond)
		s.mu.Lock()
	}
	s.ids++
	if m.ID == "" {
		m.ID = fmt.Sprint("id-", s.ids)
	}
	if s.bug == "id" {
		m.ID = fmt.Sprint(m.Seq)
	}
	if m.Time.IsZero() { // CreateRoom's joins share one time, as a store's transaction does
		m.Time = s.now().UTC()
	}
	if s.bug != "nanos" {
		m.Time = m.Time.Truncate(time.Millisecond)
	}

	switch m.Kind {
	case hubbub.KindMessage:
		m.Attachments = s.attach(m)
		r.state[m.Seq] = &memState{revisions: []hubbub.Revision{{Text: m.Text, Time: m.Time}}}
		if _, parent := r.message(m.ReplyTo); parent != nil {
			parent.replies++
		}
	case hubbub.KindEdit:
		target, st := r.message(m.Target)
		target.Text, target.Mentions, target.MentionRoom = m.Text, slices.Clone(m.Mentions), m.MentionRoom
		target.EditedAt = m.Time
		if s.bug == "revisionsnew" {
			st.revisions = append([]hubbub.Revision{{Text: m.Text, Time: m.Time}}, st.revisions...)
		} else {
			st.revisions = append(st.revisions, hubbub.Revision{Text: m.Text, Time: m.Time})
		}
	case hubbub.KindDelete:
		s.tombstone(r, m.Target)
		_, st := r.message(m.Target)
		st.deletedBy = m.Seq
	case hubbub.KindReaction:
		_, st := r.message(m.Target)
		if m.Added {
			st.held = append(st.held, memReaction{emoji: m.Emoji, name: m.From, user: m.User})
		} else {
			st.held = slices.DeleteFunc(st.held, func(h memReaction) bool { return h.emoji == m.Emoji && s.holds(h, m) })
		}
		for _, h := range st.held {
			if h.emoji == m.Emoji && s.bug != "countrace" {
				m.Count++
			}
		}
		switch {
		case m.Count == 0:
			st.emoji = slices.DeleteFunc(st.emoji, func(e string) bool { return e == m.Emoji })
		case !slices.Contains(st.emoji, m.Emoji):
			st.emoji = append(st.emoji, m.Emoji)
		}
	case hubbub.KindTopic, hubbub.KindMember:
		s.applyRoomChange(m)
	case hubbub.KindSanction:
		sn, _ := m.Sanction() // checked by checkSanction
		s.setSanction(sn)
	}
	r.entries = append(r.entries, m)
	out := s.read(r, m)
	s.enqueueEntry(out)
	return out
}

// tombstone empties message seq of r (which must exist) and the edits of it, and marks it
// deleted; its reactions, replies and ReplyTo stay.
func (s *memStore) tombstone(r *memRoom, seq uint64) {
	target, st := r.message(seq)
	target.Deleted = true
	if s.bug == "keeptext" {
		return
	}
	target.Text, target.Mentions, target.MentionRoom = "", nil, false
	if s.bug != "keepfiles" {
		target.Attachments = nil
	}
	s.dropFiles(target.Room, seq, false)
	if s.bug != "keeprevisions" {
		st.revisions = nil
	}
	if s.bug == "keepedits" {
		return
	}
	for i := range r.entries {
		if e := &r.entries[i]; e.Kind == hubbub.KindEdit && e.Target == seq {
			e.Text, e.Mentions, e.MentionRoom = "", nil, false
		}
	}
}

func (s *memStore) Since(ctx context.Context, room string, after uint64, limit int) ([]hubbub.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []hubbub.Entry
	r := s.room(room)
	for _, e := range r.entries {
		if e.Seq > after && (len(out) < limit || s.bug == "limit") && (e.IsMessage() || s.bug != "sincemessages") {
			out = append(out, s.read(r, e))
		}
	}
	return out, nil
}

func (s *memStore) Before(ctx context.Context, room string, before uint64, limit int) ([]hubbub.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if before == 0 && s.bug != "before0" {
		before = ^uint64(0)
	}
	var out []hubbub.Entry
	r := s.room(room)
	for i := len(r.entries) - 1; i >= 0 && len(out) < limit; i-- {
		if e := r.entries[i]; e.Seq < before && (e.IsMessage() || s.bug == "beforeall") {
			out = append(out, s.read(r, e))
		}
	}
	if s.bug != "order" {
		slices.Reverse(out)
	}
	return out, nil
}

func (s *memStore) Notices(ctx context.Context, room string, after, upto uint64, limit int) ([]hubbub.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []hubbub.Entry
	r := s.room(room)
	for _, e := range r.entries {
		if e.Seq > after && (e.Seq <= upto || s.bug == "noticesupto") && (e.IsNotice() || s.bug == "noticesall" && !e.IsMessage()) {
			out = append(out, s.read(r, e))
		}
	}
	if n := len(out) - max(limit, 0); n > 0 {
		if s.bug == "noticesoldest" {
			return out[:limit], nil
		}
		out = out[n:]
	}
	return out, nil
}

func (s *memStore) Replies(ctx context.Context, room string, parent, after uint64, limit int) ([]hubbub.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []hubbub.Entry
	r := s.room(room)
	for _, e := range r.entries {
		if e.IsMessage() && e.ReplyTo == parent && parent > 0 && e.Seq > after && len(out) < limit {
			out = append(out, s.read(r, e))
		}
	}
	if s.bug == "repliesnewest" && len(out) == limit {
		out = out[1:]
	}
	return out, nil
}

func (s *memStore) Revisions(ctx context.Context, room string, seq uint64) ([]hubbub.Revision, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, false, err
	}
	m, st := s.room(room).message(seq)
	if m == nil {
		return nil, false, nil
	}
	return slices.Clone(st.revisions), true, nil
}

func (s *memStore) ReactedBy(ctx context.Context, room, user string, from, to uint64) ([]hubbub.ReactionKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []hubbub.ReactionKey
	r := s.room(room)
	for _, e := range r.entries {
		if !e.IsMessage() || e.Seq < from || e.Seq > to {
			continue
		}
		for _, h := range r.state[e.Seq].held {
			if h.user == user || s.bug == "reactedbyanyone" {
				out = append(out, hubbub.ReactionKey{Seq: e.Seq, Emoji: h.emoji})
			}
		}
	}
	return out, nil
}

func (s *memStore) LastSeq(ctx context.Context, room string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	r := s.room(room)
	if s.bug == "reuse" {
		if len(r.entries) == 0 {
			return 0, nil
		}
		return r.entries[len(r.entries)-1].Seq, nil
	}
	if s.bug == "lastmessage" { // counts messages only
		for i := len(r.entries) - 1; i >= 0; i-- {
			if r.entries[i].IsMessage() {
				return r.entries[i].Seq, nil
			}
		}
		return 0, nil
	}
	return r.last, nil
}

func (s *memStore) Prune(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	var removed int64
	// Times are stored to the millisecond, so ages are measured to the millisecond too.
	cutoff := s.now().Truncate(time.Millisecond).Add(-s.ret.MaxAge)
	for name, r := range s.rooms {
		var msgs []uint64
		for _, e := range r.entries {
			if e.IsMessage() {
				msgs = append(msgs, e.Seq)
			}
		}
		gone := map[uint64]bool{}
		oldestKept := r.last + 1
		for i, seq := range msgs {
			m, _ := r.message(seq)
			tooMany := s.ret.MaxPerRoom > 0 && len(msgs)-i > s.ret.MaxPerRoom
			tooOld := s.ret.MaxAge > 0 && m.Time.Before(cutoff) && s.bug != "age"
			if tooMany || tooOld {
				gone[seq] = true
			} else {
				oldestKept = min(oldestKept, seq)
			}
		}
		removed += int64(len(gone))
		r.entries = slices.DeleteFunc(r.entries, func(e hubbub.Entry) bool {
			if s.bug == "prunemessagesonly" {
				return gone[e.Seq]
			}
			return gone[e.Seq] || !e.IsMessage() && gone[e.Target] || e.Seq < oldestKept
		})
		for seq := range gone {
			delete(r.state, seq)
			s.dropFiles(name, seq, true)
		}
		if s.bug == "prunestate" && len(gone) > 0 { // the topic lived in the entries
			for name, room := range s.rooms {
				if room == r && s.metas[name] != nil {
					s.metas[name].Topic = ""
				}
			}
		}
	}
	if s.bug == "count" && removed > 0 {
		removed++
	}
	return removed, nil
}

// setSanction stores, replaces or lifts sn, as a KindSanction entry does (its User is the
// entry's Subject, never ""). Called with mu held.
func (s *memStore) setSanction(sn hubbub.Sanction) {
	k := sanctionKey{sn.Room, sn.User, sn.Kind}
	if s.bug == "sanctionname" {
		k.user = sn.Name
	}
	if !sn.Active(time.Now()) {
		delete(s.sanctions, k)
		return
	}
	sn.Until = sn.Until.UTC().Truncate(time.Millisecond)
	s.sanctions[k] = sn
}

func (s *memStore) Sanctions(ctx context.Context, room string) ([]hubbub.Sanction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []hubbub.Sanction
	now := time.Now()
	for k, sn := range s.sanctions {
		if k.room == room && (sn.Active(now) || s.bug == "expired") {
			out = append(out, sn)
		}
	}
	slices.SortFunc(out, func(a, b hubbub.Sanction) int {
		return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Kind, b.Kind))
	})
	return out, nil
}

// SanctionsPage is Sanctions cut to the page. Bug "sanctionsafter": the page starts at after,
// not past it (a page repeats the last user of the one before); bug "sanctionsname": it is
// paged by name, not by user id.
func (s *memStore) SanctionsPage(ctx context.Context, room, after string, limit int) ([]hubbub.Sanction, error) {
	all, err := s.Sanctions(ctx, room)
	if err != nil || limit <= 0 {
		return nil, err
	}
	key := func(sn *hubbub.Sanction) string { return sn.User }
	if s.bug == "sanctionsname" {
		key = func(sn *hubbub.Sanction) string { return sn.Name }
		slices.SortStableFunc(all, func(a, b hubbub.Sanction) int { return cmp.Compare(a.Name, b.Name) })
	}
	out := slices.DeleteFunc(all, func(sn hubbub.Sanction) bool {
		if s.bug == "sanctionsafter" {
			return key(&sn) < after
		}
		return key(&sn) <= after
	})
	return out[:min(len(out), limit)], nil
}

func (s *memStore) Rooms(ctx context.Context, after string, limit int) ([]hubbub.RoomInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []hubbub.RoomInfo
	for name, r := range s.rooms {
		if r.last == 0 || name < after || name == after && s.bug != "roomsafter" {
			continue
		}
		ri := hubbub.RoomInfo{Name: name, LastSeq: r.last}
		if n := len(r.entries); n > 0 && r.entries[n-1].Seq == r.last {
			ri.LastActivity = r.entries[n-1].Time
		}
		out = append(out, ri)
	}
	slices.SortFunc(out, func(a, b hubbub.RoomInfo) int {
		if s.bug == "roomscase" { // a database collation that is not byte order
			return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out[:min(len(out), max(limit, 0))], nil
}

// SkipSeqs: bugs "skipnone" moves no room; "skipmeta" moves a room with metadata alone by
// the gap (as before the floor), not to the floor; "flooradd" raises the floor by the gap
// from the highest room's seq alone, forgetting the floor before.
func (s *memStore) SkipSeqs(ctx context.Context, gap uint64) (hubbub.Restore, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Restore{}, err
	}
	if gap == 0 || gap > hubbub.MaxSeqGap {
		return hubbub.Restore{}, hubbub.Errorf(hubbub.ECodeBadField, "a gap of seqs is 1 to %d", hubbub.MaxSeqGap)
	}
	var moved []*memRoom
	var highest uint64
	for _, r := range s.rooms {
		if r.last > 0 {
			moved = append(moved, r)
			highest = max(highest, r.last)
		}
	}
	alone := 0
	for name := range s.metas {
		if r := s.rooms[name]; r == nil || r.last == 0 {
			alone++
			if s.bug == "skipmeta" {
				moved = append(moved, s.room(name))
			}
		}
	}
	if highest+gap > hubbub.MaxSeq {
		return hubbub.Restore{}, hubbub.Errorf(hubbub.ECodeLimit, "a room would pass MaxSeq")
	}
	floor := max(s.floor(), highest) + gap
	if s.bug == "flooradd" {
		floor = highest + gap
	}
	if floor > hubbub.MaxSeq {
		return hubbub.Restore{}, hubbub.Errorf(hubbub.ECodeLimit, "the floor would pass MaxSeq")
	}
	rec := hubbub.Restore{At: ms(s.now()), Gap: gap, Floor: floor, Rooms: int64(len(moved) + alone)}
	if s.bug == "skipmeta" {
		rec.Rooms = int64(len(moved))
	}
	if s.bug == "skipnone" {
		return rec, nil
	}
	for _, r := range moved {
		r.last += gap
	}
	s.restores = append(s.restores, rec)
	return rec, nil
}

func (s *memStore) LastRestore(ctx context.Context) (hubbub.Restore, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Restore{}, false, err
	}
	if len(s.restores) == 0 {
		return hubbub.Restore{}, false, nil
	}
	return s.restores[len(s.restores)-1], true, nil
}

func (s *memStore) Check(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.check(ctx)
}

func (s *memStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	s.closed = true
	return nil
}

// checkSanction returns why KindSanction entry e cannot be stored: no subject, an action
// hubbub does not know, or a ban or mute without its end.
func checkSanction(e hubbub.Entry) *hubbub.Error {
	if e.Subject == "" {
		return hubbub.Errorf(hubbub.ECodeBadField, "a sanction needs a subject")
	}
	if _, ok := e.Sanction(); !ok {
		return hubbub.Errorf(hubbub.ECodeBadField, "unknown sanction action %q", e.Action)
	}
	if (e.Action == hubbub.SanctionActionBan || e.Action == hubbub.SanctionActionMute) && e.Until.IsZero() {
		return hubbub.Errorf(hubbub.ECodeBadField, "a %s needs its end", e.Action)
	}
	return nil
}
