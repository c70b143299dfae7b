package storetest_test

import (
	"cmp"
	"context"
	"slices"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// The files of memStore (hubbub.FileStore): uploads' metadata, attached to messages by
// Append, made collectable by a delete or retention, with bugs of their own.

// memFile is a stored file: gone once the message carrying it was deleted or pruned.
type memFile struct {
	hubbub.File
	gone bool
}

var _ hubbub.FileStore = (*memStore)(nil)

// usage returns what user's files count against the quota.
func (s *memStore) usage(user string) int64 {
	var n int64
	for _, f := range s.files {
		if f.User == user {
			n += f.Bytes
		}
	}
	return n
}

func (s *memStore) CreateFile(ctx context.Context, f hubbub.File, quota int64) (hubbub.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.File{}, err
	}
	if f.ID == "" || f.User == "" {
		return hubbub.File{}, hubbub.Errorf(hubbub.ECodeMissing, "a file needs an id and an uploader")
	}
	if _, ok := s.files[f.ID]; ok {
		return hubbub.File{}, hubbub.Errorf(hubbub.ECodeExists, "file %s exists already", f.ID)
	}
	used := s.usage(f.User)
	if s.bug == "quotarace" { // check, then store without the lock
		s.pause()
	}
	if quota > 0 && used+f.Bytes > quota && s.bug != "quotaoff" {
		return hubbub.File{}, hubbub.Errorf(hubbub.ECodeLimit, "over the quota")
	}
	out := hubbub.File{Attachment: hubbub.Attachment{ID: f.ID, Name: f.Name, Type: f.Type, Size: f.Size,
		Width: f.Width, Height: f.Height, Thumb: f.Thumb}, User: f.User, Bytes: f.Bytes, Created: ms(s.now())}
	if len(out.Name) > hubbub.MaxFileNameLen {
		out.Name = out.Name[:hubbub.MaxFileNameLen] // the suite's names are ASCII
	}
	s.files[f.ID] = &memFile{File: out}
	return out, nil
}

func (s *memStore) File(ctx context.Context, id string) (hubbub.File, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.File{}, false, err
	}
	f := s.files[id]
	if f == nil || f.gone && s.bug != "filefound" {
		return hubbub.File{}, false, nil
	}
	return f.File, true, nil
}

func (s *memStore) FileUsage(ctx context.Context, user string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	return s.usage(user), nil
}

func (s *memStore) Collectable(ctx context.Context, unattachedBefore time.Time, limit int) ([]hubbub.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []hubbub.File
	for _, f := range s.files {
		loose := f.Seq == 0 && (f.Created.Before(unattachedBefore) || s.bug == "nograce")
		if f.gone || loose {
			out = append(out, f.File)
		}
	}
	slices.SortFunc(out, func(a, b hubbub.File) int { return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) })
	out = out[:min(len(out), max(limit, 0))]
	for _, f := range out {
		if f.Seq == 0 && s.bug != "collectnomark" {
			s.files[f.ID].gone = true // no message may attach it now
		}
	}
	return out, nil
}

func (s *memStore) DeleteFile(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	delete(s.files, id)
	return nil
}

// WithdrawFile: bug "withdrawany" takes back another user's file, "withdrawattached" one a
// message carries, "withdrawrace" checks and marks without holding the lock between.
func (s *memStore) WithdrawFile(ctx context.Context, id, user string) (hubbub.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.File{}, err
	}
	f := s.files[id]
	found := f != nil && !f.gone
	if !found || f.User != user && s.bug != "withdrawany" || f.Seq != 0 && s.bug != "withdrawattached" {
		var stored hubbub.File
		if f != nil {
			stored = f.File
		}
		return hubbub.File{}, sqlstore.WithdrawRefused(id, user, stored, found)
	}
	if s.bug == "withdrawrace" {
		s.pause()
	}
	f.gone = true
	return f.File, nil
}

// checkAttachments returns why message m of user m.User may not carry its attachments, or
// nil.
func (s *memStore) checkAttachments(m hubbub.Entry) *hubbub.Error {
	if len(m.Attachments) > hubbub.MaxAttachments {
		return hubbub.Errorf(hubbub.ECodeLimit, "too many attachments")
	}
	for i, a := range m.Attachments {
		if slices.ContainsFunc(m.Attachments[:i], func(b hubbub.Attachment) bool { return b.ID == a.ID }) {
			return hubbub.Errorf(hubbub.ECodeBadField, "file %s twice", a.ID)
		}
		f := s.files[a.ID]
		switch {
		case f == nil:
		case f.User != m.User && s.bug != "fileanyone":
		case f.gone || f.Seq != 0 && s.bug != "attachtwice":
		default:
			continue
		}
		return hubbub.Errorf(hubbub.ECodeNotFound, "no file %s to attach", a.ID)
	}
	return nil
}

// attach attaches the files of stored message m (checked) to it and returns their metadata.
func (s *memStore) attach(m hubbub.Entry) []hubbub.Attachment {
	if len(m.Attachments) == 0 {
		return nil
	}
	out := make([]hubbub.Attachment, len(m.Attachments))
	for i, a := range m.Attachments {
		f := s.files[a.ID]
		f.Room, f.Seq = m.Room, m.Seq
		out[i] = f.Attachment
	}
	return out
}

// dropFiles marks the files attached to message seq of room gone. Bug "keepfiles": a
// delete leaves them; "prunefiles": retention does.
func (s *memStore) dropFiles(room string, seq uint64, byPrune bool) {
	if s.bug == "keepfiles" && !byPrune || s.bug == "prunefiles" && byPrune {
		return
	}
	for _, f := range s.files {
		if f.Room == room && f.Seq == seq {
			f.gone = true
		}
	}
}

// attachmentIDs returns the ids of as: all Append reads of a message's attachments.
func attachmentIDs(as []hubbub.Attachment) []hubbub.Attachment {
	var out []hubbub.Attachment
	for _, a := range as {
		out = append(out, hubbub.Attachment{ID: a.ID})
	}
	return out
}
