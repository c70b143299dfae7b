package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// The cases of hubbub.FileStore and of attachments in the room log (file.go's contract).

// fileCases are the FileStore cases, which RunStoreTests runs with the others.
var fileCases = []struct {
	name string
	run  func(*testing.T, opener)
}{
	{"FileCreate", testFileCreate},
	{"FileQuota", testFileQuota},
	{"FileQuotaConcurrent", testFileQuotaConcurrent},
	{"Attach", testAttach},
	{"AttachRefused", testAttachRefused},
	{"AttachConcurrent", testAttachConcurrent},
	{"AttachResend", testAttachResend},
	{"FilesAfterDelete", testFilesAfterDelete},
	{"FilesAfterPrune", testFilesAfterPrune},
	{"FilesUnattachedGrace", testFilesUnattachedGrace},
	{"WithdrawFile", testWithdrawFile},
	{"WithdrawFileConcurrent", testWithdrawFileConcurrent},
	{"FilesCollectedNotAttached", testFilesCollectedNotAttached},
	{"FilesDoneContext", testFilesDoneContext},
}

// upload is a file as the uploader hands it to CreateFile.
func upload(id, user string, bytes int64) hubbub.File {
	return hubbub.File{
		Attachment: hubbub.Attachment{ID: id, Name: id + ".png", Type: "image/png", Size: bytes - 1, Width: 640, Height: 480, Thumb: true},
		User:       user,
		Bytes:      bytes,
	}
}

// mustCreate stores f with no quota and returns it as stored.
func mustCreate(t testing.TB, s hubbub.Store, f hubbub.File) hubbub.File {
	t.Helper()
	got, err := s.CreateFile(t.Context(), f, 0)
	if err != nil {
		t.Fatalf("CreateFile(%s): %v", f.ID, err)
	}
	return got
}

// getFile returns file id, and whether it is found, failing t on error.
func getFile(t testing.TB, s hubbub.Store, id string) (hubbub.File, bool) {
	t.Helper()
	f, found, err := s.File(t.Context(), id)
	if err != nil {
		t.Fatalf("File(%s): %v", id, err)
	}
	return f, found
}

// usage returns FileUsage(user), failing t on error.
func usage(t testing.TB, s hubbub.Store, user string) int64 {
	t.Helper()
	n, err := s.FileUsage(t.Context(), user)
	if err != nil {
		t.Fatalf("FileUsage(%s): %v", user, err)
	}
	return n
}

// collectable returns the ids Collectable lists, failing t on error.
func collectable(t testing.TB, s hubbub.Store, unattachedBefore time.Time, limit int) []string {
	t.Helper()
	fs, err := s.Collectable(t.Context(), unattachedBefore, limit)
	if err != nil {
		t.Fatalf("Collectable: %v", err)
	}
	ids := make([]string, len(fs))
	for i, f := range fs {
		ids[i] = f.ID
	}
	return ids
}

// hasCode reports whether err carries code.
func hasCode(err error, code string) bool {
	return err != nil && hubbub.ErrorCode(err) == code
}

// withFiles is a message from user (also its name) carrying the files ids.
func withFiles(room, user, text string, ids ...string) hubbub.Entry {
	m := hubbub.Entry{Room: room, From: user, User: user, Text: text}
	for _, id := range ids {
		m.Attachments = append(m.Attachments, hubbub.Attachment{ID: id})
	}
	return m
}

// attachment is f as a message carries it.
func attachment(f hubbub.File) hubbub.Attachment { return f.Attachment }

// checkAttachments fails t unless m carries exactly want.
func checkAttachments(t testing.TB, what string, m hubbub.Entry, want ...hubbub.Attachment) {
	t.Helper()
	if len(m.Attachments) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(m.Attachments, want) {
		t.Errorf("%s: seq %d carries %+v, want %+v", what, m.Seq, m.Attachments, want)
	}
}

// checkFileGone fails t unless file id is not found.
func checkFileGone(t testing.TB, s hubbub.Store, id, what string) {
	t.Helper()
	if f, found := getFile(t, s, id); found {
		t.Errorf("%s: File(%s) still found: %+v", what, id, f)
	}
}

func testFileCreate(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	start := time.Now().Add(-time.Second)
	in := upload("f_one", "u_ann", 1000)
	got := mustCreate(t, s, in)
	if got.Created.Before(start) || got.Created.Location() != time.UTC || !got.Created.Equal(got.Created.Truncate(time.Millisecond)) {
		t.Errorf("Created = %v, want now, UTC, to the millisecond", got.Created)
	}
	want := in
	want.Created = got.Created
	if got != want {
		t.Errorf("CreateFile returned %+v, want %+v", got, want)
	}
	read, found := getFile(t, s, "f_one")
	if !found || !read.Created.Equal(got.Created) {
		t.Fatalf("File(f_one) = %+v, %v; want %+v", read, found, got)
	}
	read.Created = got.Created
	if read != got {
		t.Errorf("File(f_one) = %+v, want %+v unattached", read, got)
	}
	if _, found := getFile(t, s, "f_none"); found {
		t.Error("File of an id never stored is found")
	}

	again := upload("f_one", "u_bob", 10)
	if _, err := s.CreateFile(ctx, again, 0); !hasCode(err, hubbub.ECodeExists) {
		t.Errorf("a second file f_one: err %v, want %s", err, hubbub.ECodeExists)
	}
	if f, _ := getFile(t, s, "f_one"); f.User != "u_ann" {
		t.Errorf("a refused second f_one replaced the first: %+v", f)
	}

	long := upload("f_long", "u_ann", 1)
	long.Name = strings.Repeat("n", hubbub.MaxFileNameLen+40)
	if got := mustCreate(t, s, long); len(got.Name) != hubbub.MaxFileNameLen {
		t.Errorf("a name of %d bytes is kept as %d bytes, want %d", len(long.Name), len(got.Name), hubbub.MaxFileNameLen)
	}

	mustCreate(t, s, upload("f_bob", "u_bob", 7))
	if n := usage(t, s, "u_ann"); n != 1001 {
		t.Errorf("FileUsage(u_ann) = %d, want 1001", n)
	}
	if n := usage(t, s, "u_nobody"); n != 0 {
		t.Errorf("FileUsage of a user with no files = %d, want 0", n)
	}
	if err := s.DeleteFile(ctx, "f_one"); err != nil {
		t.Fatalf("DeleteFile: %v", err)
	}
	checkFileGone(t, s, "f_one", "after DeleteFile")
	if n := usage(t, s, "u_ann"); n != 1 {
		t.Errorf("FileUsage(u_ann) after DeleteFile = %d, want 1", n)
	}
	if err := s.DeleteFile(ctx, "f_one"); err != nil {
		t.Errorf("DeleteFile of a file that is not there: %v", err)
	}
}

func testFileQuota(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	if _, err := s.CreateFile(ctx, upload("f_1", "u_ann", 60), 100); err != nil {
		t.Fatalf("a file within the quota: %v", err)
	}
	if _, err := s.CreateFile(ctx, upload("f_2", "u_ann", 41), 100); !hasCode(err, hubbub.ECodeLimit) {
		t.Errorf("a file past the quota: err %v, want %s", err, hubbub.ECodeLimit)
	}
	checkFileGone(t, s, "f_2", "refused for the quota")
	if n := usage(t, s, "u_ann"); n != 60 {
		t.Errorf("FileUsage after a refusal = %d, want 60", n)
	}
	if _, err := s.CreateFile(ctx, upload("f_3", "u_ann", 40), 100); err != nil {
		t.Errorf("a file that fills the quota exactly: %v", err)
	}
	if _, err := s.CreateFile(ctx, upload("f_4", "u_bob", 100), 100); err != nil {
		t.Errorf("another user's quota is their own: %v", err)
	}
	if _, err := s.CreateFile(ctx, upload("f_5", "u_ann", 1000), 0); err != nil {
		t.Errorf("quota 0 is no quota: %v", err)
	}
	// A file attached to a message still counts; one deleted no longer does.
	mustAppend(t, s, withFiles("r", "u_ann", "see", "f_1"))
	if _, err := s.CreateFile(ctx, upload("f_6", "u_ann", 1), 1100); !hasCode(err, hubbub.ECodeLimit) {
		t.Errorf("an attached file stopped counting: err %v, want %s", err, hubbub.ECodeLimit)
	}
	if err := s.DeleteFile(ctx, "f_5"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateFile(ctx, upload("f_6", "u_ann", 1), 1100); err != nil {
		t.Errorf("DeleteFile freed no quota: %v", err)
	}
}

func testFileQuotaConcurrent(t *testing.T, open opener) {
	uploadConcurrently(t, []hubbub.Store{open(t, hubbub.Retention{})})
}

// uploadConcurrently has one user upload files at once through stores (nodes sharing their
// data), taking turns, against a quota that holds some of them: exactly those pass.
func uploadConcurrently(t *testing.T, stores []hubbub.Store) {
	const n, quota, each = 12, 50, 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = stores[i%len(stores)].CreateFile(t.Context(), upload(fmt.Sprintf("f_%d", i), "u_ann", each), quota)
		})
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !hasCode(err, hubbub.ECodeLimit):
			t.Errorf("upload %d: %v", i, err)
		}
	}
	if ok != quota/each {
		t.Errorf("%d concurrent uploads of %d bytes passed a quota of %d, want %d", ok, each, quota, quota/each)
	}
	if got := usage(t, stores[0], "u_ann"); got > quota {
		t.Errorf("FileUsage = %d, past the quota of %d", got, quota)
	}
}

func testAttach(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	a := mustCreate(t, s, upload("f_a", "u_ann", 10))
	b := mustCreate(t, s, upload("f_b", "u_ann", 20))
	parent := mustAppend(t, s, msg("r", "u_ann", "first"))

	in := withFiles("r", "u_ann", "", "f_b", "f_a") // no text: files alone make a message
	in.ReplyTo = parent.Seq
	in.Attachments[0] = attachment(b)
	in.Attachments[0].Name = "forged.exe" // only the ids are read
	got := mustAppend(t, s, in)
	checkAttachments(t, "Append", got, attachment(b), attachment(a))
	for _, f := range []hubbub.File{a, b} {
		read, found := getFile(t, s, f.ID)
		if !found || read.Room != "r" || read.Seq != got.Seq {
			t.Errorf("File(%s) after the append = %+v (found %v), want attached to r/%d", f.ID, read, found, got.Seq)
		}
	}
	plain := mustAppend(t, s, msg("r", "u_ann", "no files"))
	checkAttachments(t, "a message without files", plain)
	c := mustCreate(t, s, upload("f_c", "u_ann", 30))
	cats := mustAppend(t, s, withFiles("r", "u_ann", "cats in a box", "f_c"))
	checkAttachments(t, "Append", cats, attachment(c))

	all := []hubbub.Entry{readParent(parent, 1), got, plain, cats}
	checkStored(t, "Since", since(t, s, "r", 0, 10), all)
	checkStored(t, "Before", before(t, s, "r", 0, 10), all)
	replies, err := s.Replies(t.Context(), "r", parent.Seq, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, "Replies", replies, []hubbub.Entry{got})
	page, err := s.Search(t.Context(), hubbub.SearchQuery{Rooms: []string{"r"}, Text: "cats"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Hits) != 1 {
		t.Fatalf("Search(cats) found %d messages, want 1", len(page.Hits))
	}
	checkStored(t, "Search", []hubbub.Entry{page.Hits[0].Message}, []hubbub.Entry{cats})
}

// readParent is message m as the reads return it once n messages reply to it.
func readParent(m hubbub.Entry, n int) hubbub.Entry {
	m.ReplyCount = n
	return m
}

func testAttachRefused(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	mustCreate(t, s, upload("f_ann", "u_ann", 10))
	mustCreate(t, s, upload("f_bob", "u_bob", 10))
	mustAppend(t, s, msg("r", "u_ann", "hello"))

	refuse := func(what string, m hubbub.Entry, code string) {
		t.Helper()
		got, _, err := appendValue(ctx, s, m)
		if !hasCode(err, code) {
			t.Errorf("%s: Append = %+v, %v; want %s", what, got, err, code)
		}
	}
	refuse("another user's file", withFiles("r", "u_ann", "x", "f_ann", "f_bob"), hubbub.ECodeNotFound)
	refuse("an unknown file", withFiles("r", "u_ann", "x", "f_ann", "f_nope"), hubbub.ECodeNotFound)
	refuse("a file twice", withFiles("r", "u_ann", "x", "f_ann", "f_ann"), hubbub.ECodeBadField)
	many := withFiles("r", "u_ann", "x")
	for i := range hubbub.MaxAttachments + 1 {
		id := fmt.Sprintf("f_many%d", i)
		mustCreate(t, s, upload(id, "u_ann", 1))
		many.Attachments = append(many.Attachments, hubbub.Attachment{ID: id})
	}
	refuse("too many files", many, hubbub.ECodeLimit)
	if last := lastSeq(t, s, "r"); last != 1 {
		t.Errorf("refused appends took seqs: LastSeq = %d, want 1", last)
	}
	// A refused message attached nothing: its good files are still free to attach.
	if f, _ := getFile(t, s, "f_ann"); f.Seq != 0 || f.Room != "" {
		t.Errorf("a refused message attached f_ann: %+v", f)
	}
	first := mustAppend(t, s, withFiles("r", "u_ann", "mine", "f_ann"))
	refuse("a file attached already", withFiles("other", "u_ann", "again", "f_ann"), hubbub.ECodeNotFound)
	if f, _ := getFile(t, s, "f_ann"); f.Room != "r" || f.Seq != first.Seq {
		t.Errorf("f_ann moved to %s/%d, want r/%d", f.Room, f.Seq, first.Seq)
	}
	// The file of bob's is still bob's to attach.
	mustAppend(t, s, withFiles("r", "u_bob", "his", "f_bob"))
}

func testAttachConcurrent(t *testing.T, open opener) {
	attachConcurrently(t, []hubbub.Store{open(t, hubbub.Retention{})})
}

// attachConcurrently has messages in several rooms carry one file at once, through stores
// (nodes sharing their data) in turn: one carries it.
func attachConcurrently(t *testing.T, stores []hubbub.Store) {
	mustCreate(t, stores[0], upload("f_one", "u_ann", 10))
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, _, errs[i] = appendValue(t.Context(), stores[i%len(stores)], withFiles(fmt.Sprintf("r%d", i%3), "u_ann", "mine", "f_one"))
		})
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !hasCode(err, hubbub.ECodeNotFound):
			t.Errorf("append %d: %v", i, err)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent messages attached one file, want 1", ok)
	}
}

func testAttachResend(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	a := mustCreate(t, s, upload("f_a", "u_ann", 10))
	mustCreate(t, s, upload("f_b", "u_ann", 10))
	in := withFiles("r", "u_ann", "once", "f_a")
	in.ClientID = "c-1"
	first := mustAppend(t, s, in)
	checkAttachments(t, "first", first, attachment(a))
	for _, resend := range []hubbub.Entry{in, withFiles("r", "u_ann", "once", "f_b")} {
		resend.ClientID = "c-1"
		got, dup, err := appendValue(ctx, s, resend)
		if err != nil || !dup {
			t.Fatalf("resend of c-1 with %v: dup %v, err %v; want the first outcome", resend.Attachments, dup, err)
		}
		if d := sameEntry(got, first); d != "" {
			t.Errorf("resend of c-1: %s", d)
		}
	}
	if f, _ := getFile(t, s, "f_b"); f.Seq != 0 {
		t.Errorf("a resend attached f_b: %+v", f)
	}
	// The first message was deleted: a resend still returns the first outcome, the delete
	// answers the same again.
	mustAppend(t, s, hubbub.Entry{Room: "r", From: "u_ann", User: "u_ann", Kind: hubbub.KindDelete, Target: first.Seq})
	got, dup, err := appendValue(ctx, s, in)
	if err != nil || !dup || got.Seq != first.Seq {
		t.Errorf("resend after a delete: %+v, dup %v, err %v; want seq %d again", got, dup, err, first.Seq)
	}
}

func testFilesAfterDelete(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	a := mustCreate(t, s, upload("f_a", "u_ann", 10))
	mustCreate(t, s, upload("f_b", "u_ann", 10))
	kept := mustCreate(t, s, upload("f_kept", "u_ann", 10))
	m := mustAppend(t, s, withFiles("r", "u_ann", "two", "f_a", "f_b"))
	mustAppend(t, s, withFiles("r", "u_ann", "one", "f_kept"))
	checkAttachments(t, "before the delete", m, attachment(a), m.Attachments[1])
	if ids := collectable(t, s, time.Now().Add(time.Hour), 10); len(ids) != 0 {
		t.Errorf("Collectable lists attached files %v", ids)
	}
	mustAppend(t, s, hubbub.Entry{Room: "r", From: "mod", User: "u_mod", Kind: hubbub.KindDelete, Target: m.Seq, Moderator: true})
	for _, read := range [][]hubbub.Entry{since(t, s, "r", 0, 10), before(t, s, "r", 0, 10)} {
		if len(read) < 2 || !read[0].Deleted {
			t.Fatalf("read after the delete: %+v", read)
		}
		checkAttachments(t, "a deleted message", read[0])
		checkAttachments(t, "another message", read[1], attachment(kept))
	}
	checkFileGone(t, s, "f_a", "after its message was deleted")
	checkFileGone(t, s, "f_b", "after its message was deleted")
	if _, found := getFile(t, s, "f_kept"); !found {
		t.Error("deleting one message lost the file of another")
	}
	// Collectable at once, whatever the grace of unattached files.
	ids := collectable(t, s, time.Now().Add(-time.Hour), 10)
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"f_a", "f_b"}) {
		t.Errorf("Collectable after the delete = %v, want [f_a f_b]", ids)
	}
	if ids := collectable(t, s, time.Now().Add(-time.Hour), 1); len(ids) != 1 {
		t.Errorf("Collectable with limit 1 = %v", ids)
	}
	for _, id := range []string{"f_a", "f_b"} {
		if err := s.DeleteFile(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if ids := collectable(t, s, time.Now().Add(time.Hour), 10); len(ids) != 0 {
		t.Errorf("Collectable after DeleteFile = %v", ids)
	}
	if n := usage(t, s, "u_ann"); n != 10 {
		t.Errorf("FileUsage after the collector = %d, want 10", n)
	}
}

func testFilesAfterPrune(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{MaxPerRoom: 1})
	mustCreate(t, s, upload("f_old", "u_ann", 10))
	mustCreate(t, s, upload("f_new", "u_ann", 10))
	mustAppend(t, s, withFiles("r", "u_ann", "old", "f_old"))
	mustAppend(t, s, withFiles("r", "u_ann", "new", "f_new"))
	if _, err := s.Prune(t.Context()); err != nil {
		t.Fatal(err)
	}
	checkFileGone(t, s, "f_old", "after retention removed its message")
	if _, found := getFile(t, s, "f_new"); !found {
		t.Error("retention lost the file of a message it kept")
	}
	if ids := collectable(t, s, time.Now().Add(-time.Hour), 10); !slices.Equal(ids, []string{"f_old"}) {
		t.Errorf("Collectable after Prune = %v, want [f_old]", ids)
	}
}

func testFilesUnattachedGrace(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	first := mustCreate(t, s, upload("f_first", "u_ann", 10))
	time.Sleep(3 * time.Millisecond) // two Created that differ
	mustCreate(t, s, upload("f_second", "u_bob", 10))
	mustCreate(t, s, upload("f_attached", "u_ann", 10))
	mustAppend(t, s, withFiles("r", "u_ann", "kept", "f_attached"))

	if ids := collectable(t, s, first.Created, 10); len(ids) != 0 {
		t.Errorf("Collectable(before any upload) = %v, want none in their grace", ids)
	}
	if ids := collectable(t, s, first.Created.Add(time.Millisecond), 10); !slices.Equal(ids, []string{"f_first"}) {
		t.Errorf("Collectable(just after the first) = %v, want [f_first]", ids)
	}
	if ids := collectable(t, s, time.Now().Add(time.Hour), 10); !slices.Equal(ids, []string{"f_first", "f_second"}) {
		t.Errorf("Collectable(after both) = %v, want [f_first f_second], oldest first", ids)
	}
	if ids := collectable(t, s, time.Now().Add(time.Hour), 1); !slices.Equal(ids, []string{"f_first"}) {
		t.Errorf("Collectable(limit 1) = %v, want [f_first]", ids)
	}
	if ids := collectable(t, s, time.Now().Add(time.Hour), 0); len(ids) != 0 {
		t.Errorf("Collectable(limit 0) = %v, want none", ids)
	}
}

// testFilesCollectedNotAttached: once the collector has been told a never-attached upload
// may go, no message may take it — else the message would link to bytes about to be deleted.
func testFilesCollectedNotAttached(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	mustCreate(t, s, upload("f_late", "u_ann", 10))
	time.Sleep(3 * time.Millisecond) // two Created that differ: f_late is the oldest
	mustCreate(t, s, upload("f_fresh", "u_ann", 10))
	mustCreate(t, s, upload("f_used", "u_ann", 10))
	mustAppend(t, s, withFiles("r", "u_ann", "kept", "f_used"))
	cutoff := time.Now().Add(time.Hour)
	if ids := collectable(t, s, cutoff, 1); !slices.Equal(ids, []string{"f_late"}) {
		t.Fatalf("Collectable(limit 1) = %v, want [f_late]", ids)
	}
	_, _, err := appendValue(t.Context(), s, withFiles("r", "u_ann", "too late", "f_late"))
	if !hasCode(err, hubbub.ECodeNotFound) {
		t.Errorf("a message attaching a file Collectable returned: err %v, want %s", err, hubbub.ECodeNotFound)
	}
	checkFileGone(t, s, "f_late", "after Collectable returned it")
	// What Collectable did not return stays attachable, and an attached file stays found.
	mustAppend(t, s, withFiles("r", "u_ann", "in time", "f_fresh"))
	if _, found := getFile(t, s, "f_used"); !found {
		t.Error("Collectable took an attached file")
	}
}

// testWithdrawFile: an uploader takes back an upload no message carries, and nobody else's;
// what it took back is gone at once and the collector's, and a message may not carry it.
func testWithdrawFile(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	loose := mustCreate(t, s, upload("f_loose", "u_ann", 10))
	mustCreate(t, s, upload("f_sent", "u_ann", 20))
	mustAppend(t, s, withFiles("r", "u_ann", "sent", "f_sent"))

	_, err := s.WithdrawFile(ctx, "f_loose", "u_bob")
	wantCode(t, "WithdrawFile of another user's upload", err, hubbub.ECodeNotFound)
	_, err = s.WithdrawFile(ctx, "f_sent", "u_ann")
	wantCode(t, "WithdrawFile of an upload a message carries", err, hubbub.ECodeForbidden)
	if _, found := getFile(t, s, "f_sent"); !found {
		t.Error("a refused WithdrawFile took the sent file")
	}
	_, err = s.WithdrawFile(ctx, "f_nothing", "u_ann")
	wantCode(t, "WithdrawFile of no file", err, hubbub.ECodeNotFound)

	got, err := s.WithdrawFile(ctx, "f_loose", "u_ann")
	if err != nil || got.ID != loose.ID || got.User != "u_ann" || got.Bytes != loose.Bytes || got.Seq != 0 {
		t.Fatalf("WithdrawFile(f_loose) = %+v, %v; want the upload", got, err)
	}
	checkFileGone(t, s, "f_loose", "after WithdrawFile")
	_, _, err = appendValue(ctx, s, withFiles("r", "u_ann", "too late", "f_loose"))
	if !hasCode(err, hubbub.ECodeNotFound) {
		t.Errorf("a message attaching a withdrawn file: err %v, want %s", err, hubbub.ECodeNotFound)
	}
	// In its grace still, it is the collector's at once (should its bytes not go now).
	if ids := collectable(t, s, loose.Created.Add(-time.Hour), 10); !slices.Equal(ids, []string{"f_loose"}) {
		t.Errorf("Collectable before any grace ended = %v, want the withdrawn [f_loose]", ids)
	}
	_, err = s.WithdrawFile(ctx, "f_loose", "u_ann")
	wantCode(t, "WithdrawFile again", err, hubbub.ECodeNotFound)
	if err := s.DeleteFile(ctx, "f_loose"); err != nil {
		t.Fatal(err)
	}
	if got := usage(t, s, "u_ann"); got != 20 {
		t.Errorf("ann's usage after her upload was withdrawn and deleted = %d, want 20 (the sent file)", got)
	}
	if f, found := getFile(t, s, "f_sent"); !found || f.Seq == 0 {
		t.Errorf("the sent file after the withdrawal: %+v, %v; want it attached", f, found)
	}
}

// testWithdrawFileConcurrent: an uploader's message carrying a file and the same uploader
// taking the file back, at once: exactly one of them happens, and a message never carries a
// file that is gone.
func testWithdrawFileConcurrent(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	const n = 6
	for i := range n {
		id := fmt.Sprintf("f_race_%d", i)
		mustCreate(t, s, upload(id, "u_ann", 10))
		var sent, taken error
		var wg sync.WaitGroup
		wg.Go(func() { _, _, sent = appendValue(ctx, s, withFiles("r", "u_ann", "now", id)) })
		wg.Go(func() { _, taken = s.WithdrawFile(ctx, id, "u_ann") })
		wg.Wait()
		switch {
		case sent == nil && taken == nil:
			t.Errorf("%s: both the message and the withdrawal went through: the message carries a file that is gone", id)
		case sent != nil && taken != nil:
			t.Errorf("%s: neither went through: message %v, withdrawal %v", id, sent, taken)
		case sent != nil && !hasCode(sent, hubbub.ECodeNotFound):
			t.Errorf("%s: the message refused with %v, want %s", id, sent, hubbub.ECodeNotFound)
		case taken != nil && !hasCode(taken, hubbub.ECodeForbidden):
			t.Errorf("%s: the withdrawal refused with %v, want %s", id, taken, hubbub.ECodeForbidden)
		}
	}
}

func testFilesDoneContext(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	mustCreate(t, s, upload("f_a", "u_ann", 10))
	done, cancel := context.WithCancel(t.Context())
	cancel()
	calls := func(ctx context.Context) map[string]error {
		_, err1 := s.CreateFile(ctx, upload("f_b", "u_ann", 1), 0)
		_, _, err2 := s.File(ctx, "f_a")
		_, err3 := s.FileUsage(ctx, "u_ann")
		_, err4 := s.Collectable(ctx, time.Now(), 10)
		err5 := s.DeleteFile(ctx, "f_a")
		return map[string]error{"CreateFile": err1, "File": err2, "FileUsage": err3, "Collectable": err4, "DeleteFile": err5}
	}
	for name, err := range calls(done) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v", name, err)
		}
	}
	if _, found := getFile(t, s, "f_a"); !found {
		t.Error("DeleteFile with a cancelled context deleted")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for name, err := range calls(t.Context()) {
		if err == nil {
			t.Errorf("%s after Close succeeded", name)
		}
	}
}
