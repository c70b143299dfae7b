package termchat

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/wire"
)

// Files in `hubbub chat`: /upload sends a file with a message, and a message's files are
// printed after its text as "[file: NAME (SIZE) URL]", with the URL made absolute so that it
// can be opened or fetched (with the same credentials) from the terminal; /download saves
// them, fetched as the user, which the URL alone left to curl and the user's key.

// chatFilesHelp lists the files commands for /help and the usage text.
const chatFilesHelp = `  /upload PATH [TEXT]  upload the file PATH and send it, with TEXT, to the current room
                   (a path with spaces goes in double quotes; refused at once by a server
                   with uploads off)
  /download SEQ [NAME|DIR]  save the files of message SEQ in the current directory, each
                   under its own name; or its one file as NAME, or each file in the directory
                   DIR (one that exists; a DIR ending in / must be one; ~/ is your home; in
                   double quotes if it has spaces). A file there already is never overwritten
                   (the command says so, and saves none of the message's files)`

// filesCommand runs /upload in the current room, or /download, and reports whether line was
// one of them. The upload itself is waited for (a file is read once, and a refusal is said at
// once); the message that carries it is queued like any other, its ack awaited at the end of
// input. A download is waited for.
func (c *chat) filesCommand(ctx context.Context, cmd, line string) (handled bool, err error) {
	switch cmd {
	case "/download":
		return true, c.download(ctx, strings.TrimSpace(strings.TrimPrefix(line, cmd)))
	case "/upload":
	default:
		return false, nil
	}
	path, text, err := cutPath(strings.TrimSpace(strings.TrimPrefix(line, cmd)))
	if err != nil {
		return true, err
	}
	if c.ses.UploadsOff() {
		// The welcome said every upload is refused: said now, before the file is read (and
		// sent, up to the server's answer), as the page greys its attach button out.
		return true, hubbub.Errorf(hubbub.ECodeDisabled, "file uploads are off on this server: %s was not sent", hubbub.CleanText(filepath.Base(path)))
	}
	room := c.current()
	if room == "" {
		return true, c.noRoom()
	}
	f, err := os.Open(path)
	if err != nil {
		return true, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return true, err
	}
	if !fi.Mode().IsRegular() {
		return true, fmt.Errorf("%s is not a file", path)
	}
	att, err := c.ses.Upload(ctx, filepath.Base(path), f, fi.Size())
	var refused *client.UploadError
	if errors.As(err, &refused) {
		return true, fileRefusal(filepath.Base(path), refused.Status, refused.Code, refused.Message)
	}
	if err != nil {
		return true, err
	}
	fmt.Fprintf(c.io.Err, "* uploaded %s (%s)\n", hubbub.CleanText(att.Name), sizeText(att.Size))
	r, err := c.ses.Post(ctx, client.Outgoing{Room: room, Text: text, Attachments: []string{att.ID}})
	if err != nil {
		return true, err
	}
	c.total.add(r.Request)
	c.sent = append(c.sent, r)
	c.compact()
	return true, nil
}

// download runs /download SEQ [NAME|DIR]: it saves each file of the message in the current
// directory (or in DIR) under the file's name, or the message's one file as NAME, fetched as
// the user (client.Session.Download). The message is asked of the server, as it is now (a
// file the chat printed may have gone with a deletion since). Every name is checked before
// any file is written, and each file is created only if no file has its name (O_EXCL): a
// download never overwrites, not even a file made meanwhile. A file whose download fails is
// removed, not left half written. A file goes where the user typed and nowhere else: a file's
// name from the server is made a plain name (localName), never a path out of the directory.
func (c *chat) download(ctx context.Context, args string) error {
	const usage = "usage: /download SEQ [NAME|DIR]"
	seqArg, rest := cutRoomWord(args)
	target, extra, ok := cutQuotedPath(rest)
	switch {
	case !ok:
		return errors.New(usage + ` (the closing " is missing)`)
	case seqArg == "" || extra != "":
		return errors.New(usage)
	}
	room, seq, err := c.messageArg(seqArg)
	if err != nil {
		return err
	}
	where := fmt.Sprintf("#%d in %s", seq, c.titles.label(room))
	hctx, cancel := context.WithTimeout(ctx, chatCommandTimeout)
	page, err := c.ses.History(hctx, room, seq+1, 1) // the message seq, if it is one
	cancel()
	if err != nil {
		return err
	}
	if len(page.Messages) == 0 || page.Messages[0].Seq != seq {
		// The room's log numbers edits, reactions and member changes too.
		return fmt.Errorf("%s is no message: give the number printed as #N before one", where)
	}
	m := page.Messages[0]
	switch {
	case m.Deleted:
		return fmt.Errorf("%s was deleted, and its files with it", where)
	case len(m.Attachments) == 0:
		return fmt.Errorf("%s has no file", where)
	}
	dir, asName, err := downloadTarget(target, len(m.Attachments), where, seqArg)
	if err != nil {
		return err
	}
	again := fmt.Sprintf("move it away, or give another name: /download %s NAME", seqArg)
	if len(m.Attachments) > 1 {
		again = fmt.Sprintf("move it away, or give a directory: /download %s DIR", seqArg)
	}
	names := make([]string, len(m.Attachments))
	for i, a := range m.Attachments {
		names[i] = asName
		if asName == "" {
			names[i] = filepath.Join(dir, localName(a.Name))
		}
		if _, err := os.Lstat(names[i]); err == nil || slices.Contains(names[:i], names[i]) {
			return fmt.Errorf("%s is here already: not overwritten, and nothing saved (%s)", names[i], again)
		}
	}
	for i, a := range m.Attachments {
		n, err := c.save(ctx, names[i], a.URL)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.io.Err, "* saved %s (%s) from %s\n", names[i], sizeText(n), where)
	}
	return nil
}

// downloadTarget reads /download's NAME|DIR, target as typed ("" for the current directory),
// for a message of files files: the directory to save them in under their own names, or the
// one file's path asName. A leading "~/" is the home directory, as a shell would read it (the
// chat reads the line, not a shell). A directory must exist — one is never made, so that a
// typo does not scatter files — and a target ending in a separator must be one; a name is
// for one file only, in a directory that exists.
func downloadTarget(target string, files int, where, seqArg string) (dir, asName string, err error) {
	if target == "" {
		return ".", "", nil
	}
	path := target
	if path == "~" || strings.HasPrefix(path, "~"+string(filepath.Separator)) || strings.HasPrefix(path, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", "", fmt.Errorf("%s: no home directory to save in (%w)", target, err)
		}
		path = filepath.Join(home, path[1:])
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return path, "", nil
	case strings.HasSuffix(target, "/") || strings.HasSuffix(target, string(filepath.Separator)):
		if _, err := os.Stat(filepath.Clean(path)); err == nil { // a file: Stat of "file/" fails
			return "", "", fmt.Errorf("%s is not a directory: nothing saved", target)
		}
		return "", "", fmt.Errorf("no directory %s: nothing saved (a directory is not made; make it, then /download %s %s again)", target, seqArg, target)
	case err == nil:
		return "", "", fmt.Errorf("%s is here already: not overwritten, and nothing saved (move it away, or give another name: /download %s NAME)", target, seqArg)
	case files > 1:
		return "", "", fmt.Errorf("%s has %d files, and %s is no directory: give a directory that exists to save them in (/download %s DIR), or none for this one", where, files, target, seqArg)
	}
	parent := filepath.Dir(path)
	if pi, err := os.Stat(parent); err != nil || !pi.IsDir() {
		return "", "", fmt.Errorf("no directory %s to save %s in: nothing saved (a directory is not made)", parent, filepath.Base(path))
	}
	return "", path, nil
}

// save downloads the file at url into a new file name (a path).
func (c *chat) save(ctx context.Context, name, url string) (int64, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return 0, fmt.Errorf("%s is here already: not overwritten", name)
	}
	if err != nil {
		return 0, err
	}
	n, err := c.ses.Download(ctx, url, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		return n, nil
	}
	os.Remove(name) // half a file is worse than none: the next /download would refuse its name
	var refused *client.DownloadError
	if errors.As(err, &refused) {
		return 0, fileRefusal(name, refused.Status, refused.Code, refused.Message)
	}
	return 0, fmt.Errorf("%s: %w", name, err)
}

// fileRefusal says the server's refusal of an upload or a download of the file name as the
// chat's other refusals are, "name: reason (code)", without the client's wrappings ("client:
// upload x: upload refused (422, too_large): …"); the status stands in for what the server's
// body did not say.
func fileRefusal(name string, status int, code, msg string) error {
	if msg == "" {
		msg = http.StatusText(status)
	}
	if code == "" {
		code = strconv.Itoa(status)
	}
	return fmt.Errorf("%s: %s (%s)", name, hubbub.CleanText(msg), code)
}

// localName is a file's name as the server gives it, made a plain name of the current
// directory: the server cleans names to a base name already, but one that is not (a path,
// "..", empty) must not reach another directory.
func localName(name string) string {
	name = filepath.Base(hubbub.CleanText(name))
	if name == "." || name == ".." || name == string(filepath.Separator) || strings.ContainsAny(name, `/\`) {
		return "file"
	}
	return name
}

// cutPath splits the arguments of /upload into the path (its first word, or a double-quoted
// string) and the text after it.
func cutPath(args string) (path, rest string, err error) {
	const usage = "usage: /upload PATH [TEXT]"
	path, rest, ok := cutQuotedPath(args)
	if !ok {
		return "", "", errors.New(usage + ` (the closing " is missing)`)
	}
	if path == "" {
		return "", "", errors.New(usage)
	}
	return path, rest, nil
}

// cutQuotedWord splits s into its first word, or a double-quoted string (which may hold
// spaces: a name such as "Ann Lee"; \" and \\ in it for a quote and a backslash), and the
// rest; ok is false when the closing quote is missing. Every command that takes a name reads
// it so (parseNames, /dm's, too); a path is read by cutQuotedPath.
func cutQuotedWord(s string) (word, rest string, ok bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, `"`) {
		word, rest = cutWord(s)
		return word, rest, true
	}
	word, rest, ok = cutQuoted(s)
	return word, strings.TrimSpace(rest), ok
}

// cutQuotedPath is cutQuotedWord for a path: in its quotes a backslash is itself, so that a
// Windows path reads as typed ("C:\dir\", "\\server\share\f.txt"); a path holds no '"'.
func cutQuotedPath(s string) (path, rest string, ok bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, `"`) {
		path, rest = cutWord(s)
		return path, rest, true
	}
	end := strings.IndexByte(s[1:], '"')
	if end < 0 {
		return "", "", false
	}
	return s[1 : 1+end], strings.TrimSpace(s[2+end:]), true
}

// cutQuoted reads the double-quoted string s starts with: its text, with \" and \\ for a
// quote and a backslash, and what follows the closing quote, untrimmed; ok is false when the
// closing quote is missing.
func cutQuoted(s string) (text, rest string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '"':
			return b.String(), s[i+1:], true
		case ch == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(ch)
		}
	}
	return "", "", false
}

// filesText is what a message's files add to its line: " [file: NAME (SIZE) URL]" for each,
// its URL absolute on the server whose WebSocket is serverURL.
func filesText(m *wire.Message, serverURL string) string {
	var b strings.Builder
	for _, a := range m.Attachments {
		url := client.FileURL(serverURL, a.URL)
		if url == "" {
			url = "(no address)"
		}
		fmt.Fprintf(&b, " [file: %s (%s) %s]", hubbub.CleanText(a.Name), sizeText(a.Size), hubbub.CleanText(url))
	}
	return b.String()
}

// sizeText is n bytes as people read it: "512 B", "12.3 KB", "4.0 MB" (as the web page says).
func sizeText(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", max(n, 0))
	}
	units := []string{"KB", "MB", "GB", "TB"}
	v := float64(n) / 1024
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f %s", v, units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}
