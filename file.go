package hubbub

import (
	"context"
	"errors"
	"io"
	"time"
)

// Files (issue 17): a user uploads a file (POST /upload), the server keeps its bytes in a Blobs
// store (a folder beside --data, or an S3-compatible bucket shared by the nodes) and its metadata
// in the Store (FileStore), and a message carries it by id (Entry.Attachments). Who may
// download it is who may read the room of the message it is attached to; until then only its
// uploader. The bytes go when the message is deleted or retention removes it, and an upload no
// message ever carried goes after a grace period: a collector asks the Store which files are
// collectable, deletes their blobs, then their rows.

// Limits of attachments that do not depend on configuration.
const (
	// MaxAttachments is the most files one message may carry (the server's
	// --max-attachments may lower it).
	MaxAttachments = 10
	// MaxFileNameLen is the longest file name kept, in bytes; a longer one is cut.
	MaxFileNameLen = 255
	// MaxFileIDLen bounds a file id in requests.
	MaxFileIDLen = 64
)

// Attachment is a file as a message carries it. A client sends only its ID (Entry.Attachments
// of a send); the Store fills the rest from the file's metadata when it appends the message.
type Attachment struct {
	// ID is the file's id ("f_…"), unique across nodes.
	ID string `json:"id"`
	// Name is the file's name as uploaded (its base name, cleaned).
	Name string `json:"name"`
	// Type is the media type the server found from the content, never the client's claim.
	Type string `json:"type"`
	// Size is the file's length in bytes, as served (after metadata was stripped).
	Size int64 `json:"size"`
	// Width and Height are an image's dimensions in pixels (0 for other files).
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// Thumb is true if the server made a thumbnail of the image.
	Thumb bool `json:"thumb,omitempty"`
}

// File is an uploaded file's metadata, as the Store keeps it.
type File struct {
	Attachment
	// User is the uploader's user id.
	User string
	// Room and Seq are the message the file is attached to ("" and 0 until one carries it).
	Room string
	Seq  uint64
	// Created is when the upload finished (the store's clock, UTC, millisecond precision).
	Created time.Time
	// Bytes is what the file counts against its uploader's quota: its Size plus its
	// thumbnail's.
	Bytes int64
}

// FileStore keeps the metadata of uploaded files. Every Store is one (Store embeds it).
//
// Contract, which internal/storetest checks on every store:
//   - CreateFile stores f (ID, Name, Type, Size, Width, Height, Thumb, User, Bytes are read)
//     unattached, with Created set, unless the uploader's files (those not yet deleted) would
//     then count more than quota Bytes (quota > 0), which fails with ECodeLimit and stores
//     nothing; a second file with the same ID fails with ECodeExists. The check and the insert
//     are one transaction, so concurrent uploads cannot pass the quota together.
//   - Append of a message with Attachments (only their IDs are read, at most MaxAttachments,
//     no ID twice, else ECodeLimit / ECodeBadField) checks each file exists and was uploaded by
//     e.User and is not attached yet, else fails with ECodeNotFound (a file of another user is
//     not found: ids are not a way to take another's file) and stores nothing; it attaches them
//     to the message (Room, Seq) in the append's transaction, and stores and returns the
//     message with the files' metadata in Attachments, in the order given. Since, Before,
//     Replies and Search return messages with their Attachments.
//   - A delete of the message empties its Attachments (nothing of what it said stays), and its
//     files, like those of a message retention removed, become collectable at once.
//   - File returns a file's metadata, with Room and Seq once attached; found is false after
//     DeleteFile, and as soon as the message carrying the file is deleted or removed by
//     retention (so a download fails at once, before the collector deletes the bytes).
//   - Collectable returns up to limit files that may go: those attached to a message that is
//     deleted or removed by retention, and those never attached and Created before
//     unattachedBefore; oldest first. It marks the never-attached ones it returns gone in the
//     transaction that finds them, so that no message attaches a file whose bytes the
//     collector is about to delete: an Append carrying one after that fails with
//     ECodeNotFound, and File no longer finds it.
//   - DeleteFile removes the file's row (its uploader's quota frees up); deleting a file that
//     is not there is not an error.
//   - WithdrawFile(id, user) marks gone, as Collectable does, a file user uploaded that no
//     message carries, and returns it: File no longer finds it, an Append carrying it fails
//     with ECodeNotFound, and Collectable returns it at once (should the caller not delete it).
//     A file that is not there, is gone or is another user's is ECodeNotFound; one a message
//     carries is ECodeForbidden (deleting the message is the way). The check and the mark are
//     one statement or transaction, so a message attaching the file at once either wins (and
//     the withdrawal is refused) or fails.
type FileStore interface {
	// CreateFile records an upload whose bytes are stored already.
	CreateFile(ctx context.Context, f File, quota int64) (File, error)
	// File returns the metadata of file id.
	File(ctx context.Context, id string) (f File, found bool, err error)
	// FileUsage returns how many Bytes user's files count against the quota.
	FileUsage(ctx context.Context, user string) (int64, error)
	// Collectable lists files whose bytes may be deleted.
	Collectable(ctx context.Context, unattachedBefore time.Time, limit int) ([]File, error)
	// DeleteFile forgets file id once its bytes are gone.
	DeleteFile(ctx context.Context, id string) error
	// WithdrawFile marks gone user's upload id that no message carries, for its bytes and row
	// to be deleted now (its uploader took it back before sending it).
	WithdrawFile(ctx context.Context, id, user string) (File, error)
}

// Blobs keeps the bytes of files under keys: a folder by default (internal/files), an
// S3-compatible bucket for a cluster (internal/s3blobs). A file's bytes are under its ID, its
// thumbnail's under ID + ".thumb".
//
// Contract, which internal/blobtest checks on every implementation:
//   - Put stores exactly size bytes read from r under key (replacing what was there), and is
//     durable when it returns nil; a reader that ends early or fails makes Put fail and leaves
//     no blob under key.
//   - Open returns the bytes under key, seekable (for range requests), with their size; a
//     missing key fails with an error wrapping ErrBlobNotFound.
//   - Delete removes key; a missing key is not an error.
//   - Check returns nil while the backend answers.
type Blobs interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	Open(ctx context.Context, key string) (Blob, error)
	Delete(ctx context.Context, key string) error
	Check(ctx context.Context) error
}

// Blob is an open blob: read, seek and close it.
type Blob interface {
	io.ReadSeekCloser
	// Size is the blob's length in bytes.
	Size() int64
	// ModTime is when the blob was stored (zero if the backend does not say).
	ModTime() time.Time
}

// ErrBlobNotFound is wrapped by Blobs.Open's error when no blob has the key.
var ErrBlobNotFound = errors.New("no such file")
