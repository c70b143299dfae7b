package session

import (
	"context"

	"hubbub"
	"hubbub/internal/wire"
)

// Notification levels (docs/protocol.md, "Notifications"): what a user wants to hear about a
// room while they have no connection (hubbub.NotifyAll, NotifyMention, NotifyNothing). The
// hubbub.v1 notify frame and the REST API's /api/rooms/{room}/notify both come through
// Service.NotifyLevel.

// NotifyLevel sets user's notification level for room to level, or, with level "", reads it,
// and returns the level now. The user must be one the server keeps and may set it only for a
// room whose history they may read (MayRead) and that exists (not_found); allowed, when set,
// is asked about the room too (a token that names its rooms).
func (s *Service) NotifyLevel(ctx context.Context, user, room, level string, allowed func(string) bool) (string, error) {
	if err := hubbub.ValidateRoom(room); err != nil {
		return "", err
	}
	switch level {
	case "", hubbub.NotifyAll, hubbub.NotifyMention, hubbub.NotifyNothing:
	default:
		return "", hubbub.Errorf(hubbub.ECodeBadField, "level must be %q, %q or %q", hubbub.NotifyAll, hubbub.NotifyMention, hubbub.NotifyNothing)
	}
	if !storedUserID(user) {
		return "", hubbub.Errorf(hubbub.ECodeForbidden, "notification levels need a user the server keeps: sign in, or say hello with a key")
	}
	if allowed != nil && !allowed(room) {
		return "", forbidden(room)
	}
	if err := s.MayRead(ctx, room, user); err != nil {
		return "", err
	}
	levels := s.hub.Store()
	// A misspelt room should be heard as one that is not there, not read as the default
	// level or given a level nobody will ever use.
	if _, err := s.storedRoom(ctx, room); err != nil {
		return "", err
	}
	if level != "" {
		if err := levels.SetNotifyLevel(ctx, user, room, level); err != nil {
			return "", s.storeRefused("storing your notification level", err)
		}
		return level, nil
	}
	level, err := levels.NotifyLevel(ctx, user, room)
	if err != nil {
		return "", s.storeRefused("reading your notification level", err)
	}
	return level, nil
}

// notifyLevel answers notify: the level of the room, after setting it if the frame gives one
// (a change counts against the send rate limit: it writes to the store).
func (j *jsonSession) notifyLevel(ctx context.Context, f *wire.ClientFrame) {
	if f.Level != "" && !j.allowWrite(f) {
		return
	}
	var allowed func(string) bool
	if j.id.claims != nil {
		allowed = j.id.claims.CanJoin
	}
	level, err := j.svc.NotifyLevel(ctx, j.member.UserID, f.Room, f.Level, allowed)
	if err != nil {
		j.fail(err, f)
		return
	}
	j.reply(wire.NewNotify(f.Room, level, f.ID))
}
