package termchat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/wire"
)

// Files in `hubbub chat`: /upload sends a file with a message, and a message's files are
// printed after its text as "[file: NAME (SIZE) URL]", with the URL made absolute so that it
// can be opened or fetched (with the same credentials) from the terminal.

// chatFilesHelp lists the files command for /help and the usage text.
const chatFilesHelp = `  /upload PATH [TEXT]  upload the file PATH and send it, with TEXT, to the current room
                   (a path with spaces goes in double quotes; refused at once by a server
                   with uploads off)`

// filesCommand runs /upload in the current room and reports whether line was it. The upload
// itself is waited for (a file is read once, and a refusal is said at once); the message that
// carries it is queued like any other, its ack awaited at the end of input.
func (c *chat) filesCommand(ctx context.Context, cmd, line string) (handled bool, err error) {
	if cmd != "/upload" {
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
		// Said as the chat's other refusals are, "reason (code)", without the client's
		// wrappings ("client: upload x: upload refused (422, too_large): …").
		msg, code := refused.Message, refused.Code
		if msg == "" {
			msg = http.StatusText(refused.Status)
		}
		if code == "" {
			code = strconv.Itoa(refused.Status)
		}
		return true, fmt.Errorf("%s: %s (%s)", filepath.Base(path), hubbub.CleanText(msg), code)
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

// cutPath splits the arguments of /upload into the path (its first word, or a double-quoted
// string) and the text after it.
func cutPath(args string) (path, rest string, err error) {
	const usage = "usage: /upload PATH [TEXT]"
	path, rest, ok := cutQuotedWord(args)
	if !ok {
		return "", "", errors.New(usage + ` (the closing " is missing)`)
	}
	if path == "" {
		return "", "", errors.New(usage)
	}
	return path, rest, nil
}

// cutQuotedWord splits s into its first word, or a double-quoted string (which may hold
// spaces: a path, a name such as "Ann Lee"), and the rest; ok is false when the closing quote
// is missing.
func cutQuotedWord(s string) (word, rest string, ok bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, `"`) {
		word, rest = cutWord(s)
		return word, rest, true
	}
	end := strings.Index(s[1:], `"`)
	if end < 0 {
		return "", "", false
	}
	return s[1 : 1+end], strings.TrimSpace(s[2+end:]), true
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
