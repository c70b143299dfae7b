package sqlstore

import (
	"slices"
	"strings"
	"unicode/utf8"

	"hubbub"
)

// Files (hubbub.FileStore), as both stores keep them: a row per file in files, with the
// message it is attached to (room, seq; "" and 0 until one carries it) and a gone mark set
// when that message is deleted or removed by retention, which makes the file collectable and
// no longer found. A message keeps its attachments' metadata in its own row (a JSON column,
// AttachmentsColumn), so that a page of messages is still one indexed read.

// The FileStore operations, as errors name them.
const (
	OpCreateFile   Op = "create file"
	OpFile         Op = "file"
	OpFileUsage    Op = "file usage"
	OpCollectable  Op = "collectable"
	OpDeleteFile   Op = "delete file"
	OpWithdrawFile Op = "withdraw file"
)

// CheckNewFile returns f as CreateFile stores it (the fields it reads, the name cut to
// hubbub.MaxFileNameLen bytes at a rune boundary), or why it cannot be stored.
func CheckNewFile(f hubbub.File) (hubbub.File, error) {
	switch {
	case f.ID == "":
		return hubbub.File{}, hubbub.Errorf(hubbub.ECodeMissing, "a file needs an id")
	case len(f.ID) > hubbub.MaxFileIDLen:
		return hubbub.File{}, hubbub.Errorf(hubbub.ECodeLimit, "a file id is at most %d bytes", hubbub.MaxFileIDLen)
	case f.User == "":
		return hubbub.File{}, hubbub.Errorf(hubbub.ECodeMissing, "a file needs its uploader")
	case f.Size < 0 || f.Bytes < 0 || f.Width < 0 || f.Height < 0:
		return hubbub.File{}, hubbub.Errorf(hubbub.ECodeBadField, "a file's sizes are not negative")
	}
	out := hubbub.File{Attachment: hubbub.Attachment{ID: f.ID, Name: CutName(f.Name), Type: f.Type, Size: f.Size,
		Width: f.Width, Height: f.Height, Thumb: f.Thumb}, User: f.User, Bytes: f.Bytes}
	return out, nil
}

// CutName returns name cut to at most hubbub.MaxFileNameLen bytes without splitting a rune,
// and valid UTF-8.
func CutName(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	if len(name) <= hubbub.MaxFileNameLen {
		return name
	}
	cut := hubbub.MaxFileNameLen
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut]
}

// CheckAttachments returns why the attachments of message e cannot be appended in any store,
// or nil: at most hubbub.MaxAttachments, each an id of a sane length, none twice.
func CheckAttachments(e *hubbub.Entry) error {
	if len(e.Attachments) > hubbub.MaxAttachments {
		return hubbub.Errorf(hubbub.ECodeLimit, "a message carries at most %d files", hubbub.MaxAttachments)
	}
	for i, a := range e.Attachments {
		if a.ID == "" || len(a.ID) > hubbub.MaxFileIDLen {
			return hubbub.Errorf(hubbub.ECodeBadField, "attachment %d is not a file id", i+1)
		}
		if slices.ContainsFunc(e.Attachments[:i], func(b hubbub.Attachment) bool { return b.ID == a.ID }) {
			return hubbub.Errorf(hubbub.ECodeBadField, "file %s is attached twice", a.ID)
		}
	}
	return nil
}

// AttachmentIDs returns the ids of as, which is all Append reads of them.
func AttachmentIDs(as []hubbub.Attachment) []hubbub.Attachment {
	if len(as) == 0 {
		return nil
	}
	out := make([]hubbub.Attachment, len(as))
	for i, a := range as {
		out[i] = hubbub.Attachment{ID: a.ID}
	}
	return out
}

// NoFile is Append's refusal of an attachment that is not the sender's to attach: no such
// file, another user's, attached already or collectable. They read alike, so that file ids
// do not tell whose they are.
func NoFile(id string) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeNotFound, "no file %s to attach", id)
}

// OverQuota is CreateFile's refusal of a file its uploader's quota has no room for.
func OverQuota(used, bytes, quota int64) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeLimit, "the upload quota is %d bytes, %d are used and the file needs %d", quota, used, bytes)
}

// FileExists is CreateFile's refusal of a second file with one id.
func FileExists(id string) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeExists, "file %s exists already", id)
}

// OverQuotaAfter reports whether adding bytes to used passes quota (quota ≤ 0: no quota).
func OverQuotaAfter(used, bytes, quota int64) bool {
	return quota > 0 && used+bytes > quota
}

// EncodeAttachments returns a message's attachments as stored: "" for none.
func EncodeAttachments(as []hubbub.Attachment) (string, error) {
	return encodeList(as)
}

// DecodeAttachments reads what EncodeAttachments stored; "" is nil.
func DecodeAttachments(s string) ([]hubbub.Attachment, error) {
	return decodeList[hubbub.Attachment](s, "attachments")
}

// WithdrawRefused is WithdrawFile's refusal of file id, which user may not take back: f is
// the file as stored (found false for none, or a gone one).
func WithdrawRefused(id, user string, f hubbub.File, found bool) *hubbub.Error {
	if !found || f.User != user {
		return hubbub.Errorf(hubbub.ECodeNotFound, "no file %s of yours that no message carries", id)
	}
	return hubbub.Errorf(hubbub.ECodeForbidden, "the file %s is in message %d of room %q: delete the message to delete it", id, f.Seq, f.Room)
}
