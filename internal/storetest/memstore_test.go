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
// it implements the whole interface, moderation included.
type memStore struct {
	bug string // "" for a correct store; see bugs in suite_test.go
	ret hubbub.Retention

	mu        sync.Mutex
	rooms     map[string]*memRoom
	sanctions map[sanctionKey]hubbub.Sanction
	ids       int
	closed    bool
}

// sanctionKey is what SetSanction replaces on: one sanction per room, name and kind.
type sanctionKey struct {
	room, name string
	kind       hubbub.SanctionKind
}

type memRoom struct {
	last uint64
	msgs []hubbub.Entry
}

func newMemStore(ret hubbub.Retention, bug string) *memStore {
	return &memStore{bug: bug, ret: ret, rooms: map[string]*memRoom{}, sanctions: map[sanctionKey]hubbub.Sanction{}}
}

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
		r = &memRoom{}
		s.rooms[name] = r
	}
	return r
}

func (s *memStore) Append(ctx context.Context, m hubbub.Entry) (hubbub.Entry, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Entry{}, false, err
	}
	r := s.room(m.Room)
	if m.ClientID != "" && s.bug != "nodedup" {
		for _, old := range r.msgs {
			if old.ClientID == m.ClientID && (old.From == m.From || s.bug == "dedupanysender") {
				return old, true, nil
			}
		}
		if s.bug == "dedupconcurrent" { // check, then act without holding the lock
			s.mu.Unlock()
			time.Sleep(time.Millisecond)
			s.mu.Lock()
		}
	}
	last := r.last
	switch s.bug {
	case "race": // read, then write without holding the lock
		s.mu.Unlock()
		time.Sleep(10 * time.Microsecond)
		s.mu.Lock()
	case "reuse":
		last = 0
		if len(r.msgs) > 0 {
			last = r.msgs[len(r.msgs)-1].Seq
		}
	case "gap":
		if last == 2 {
			last++
		}
	}
	m.Seq = last + 1
	r.last = m.Seq
	if s.bug == "torn" { // LastSeq moves before the message is readable
		s.mu.Unlock()
		time.Sleep(100 * time.Microsecond)
		s.mu.Lock()
	}
	s.ids++
	if m.ID == "" || s.bug != "forge" {
		m.ID = fmt.Sprint("id-", s.ids)
	}
	if s.bug == "id" {
		m.ID = fmt.Sprint(m.Seq)
	}
	m.Time = time.Now().UTC()
	if s.bug != "nanos" {
		m.Time = m.Time.Truncate(time.Millisecond)
	}
	r.msgs = append(r.msgs, m)
	return m, false, nil
}

func (s *memStore) Since(ctx context.Context, room string, after uint64, limit int) ([]hubbub.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []hubbub.Entry
	for _, m := range s.room(room).msgs {
		if m.Seq > after && (len(out) < limit || s.bug == "limit") {
			out = append(out, m)
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
	msgs := s.room(room).msgs
	for i := len(msgs) - 1; i >= 0 && len(out) < limit; i-- {
		if msgs[i].Seq < before {
			out = append(out, msgs[i])
		}
	}
	if s.bug != "order" {
		slices.Reverse(out)
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
		if len(r.msgs) == 0 {
			return 0, nil
		}
		return r.msgs[len(r.msgs)-1].Seq, nil
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
	cutoff := time.Now().Add(-s.ret.MaxAge)
	for _, r := range s.rooms {
		keep := r.msgs[:0]
		for i, m := range r.msgs {
			tooMany := s.ret.MaxPerRoom > 0 && len(r.msgs)-i > s.ret.MaxPerRoom
			tooOld := s.ret.MaxAge > 0 && m.Time.Before(cutoff) && s.bug != "age"
			if tooMany || tooOld {
				removed++
				continue
			}
			keep = append(keep, m)
		}
		r.msgs = keep
	}
	if s.bug == "count" && removed > 0 {
		removed++
	}
	return removed, nil
}

func (s *memStore) SetSanction(ctx context.Context, sn hubbub.Sanction) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	k := sanctionKey{sn.Room, sn.Name, sn.Kind}
	if !sn.Active(time.Now()) {
		delete(s.sanctions, k)
		return nil
	}
	sn.Until = sn.Until.UTC().Truncate(time.Millisecond)
	s.sanctions[k] = sn
	return nil
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
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Kind, b.Kind))
	})
	return out, nil
}

func (s *memStore) DeleteMessage(ctx context.Context, room string, seq uint64) (found, already bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return false, false, err
	}
	msgs := s.room(room).msgs
	for i := range msgs {
		if msgs[i].Seq == seq {
			already = msgs[i].Deleted && s.bug != "deletetwice"
			if s.bug != "keeptext" {
				msgs[i].Text = ""
			}
			msgs[i].Deleted = true
			return true, already, nil
		}
	}
	return false, false, nil
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
		if n := len(r.msgs); n > 0 && r.msgs[n-1].Seq == r.last {
			ri.LastActivity = r.msgs[n-1].Time
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

// TODO(room log): placeholders so that the tree builds while the room log lands.

func (s *memStore) Replies(ctx context.Context, room string, parent, after uint64, limit int) ([]hubbub.Entry, error) {
	return nil, errors.ErrUnsupported
}

func (s *memStore) Revisions(ctx context.Context, room string, seq uint64) ([]hubbub.Revision, bool, error) {
	return nil, false, errors.ErrUnsupported
}

func (s *memStore) ReactedBy(ctx context.Context, room, name string, from, to uint64) ([]hubbub.ReactionKey, error) {
	return nil, errors.ErrUnsupported
}
