package server

import (
	"bytes"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// The request reader of the WebSocket listener (wsaccept.go): it takes a `GET /ws` upgrade
// from the first bytes of a connection, and only a request it fully understands. Whatever it
// is unsure of is not refused but handed to net/http with the bytes replayed, so that
// net/http answers it as before: it is strict where net/http would refuse (it never answers a
// malformed request itself) and where a request would take net/http's other paths (a body,
// Expect, HTTP/1.0, Connection: close).

// wsRequestPrefix begins every request the listener takes itself.
const wsRequestPrefix = "GET /ws"

// sniffResult is what the first bytes of a connection are.
type sniffResult int

const (
	sniffMore   sniffResult = iota // a WebSocket request so far, not complete yet
	sniffOthers                    // anything else: net/http's
	sniffOurs                      // a complete request for /ws the listener serves itself
)

// sniffRequest reports what b, the first bytes read from a connection, are. For sniffOurs it
// returns the request (its strings copied out of b) and the length of its head; what follows
// in b is the client's first frames, sent without waiting for the 101.
func sniffRequest(b []byte) (r *http.Request, head int, res sniffResult) {
	if n := min(len(b), len(wsRequestPrefix)); string(b[:n]) != wsRequestPrefix[:n] {
		return nil, 0, sniffOthers
	}
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		// A bare LF ends a line for net/http too, so a head may end ("\r\n\n") without the
		// CRLF CRLF looked for here: waiting for more would hold a request net/http answers
		// until the handshake timeout. Any bare LF is net/http's to judge.
		if bytes.Count(b, []byte("\n")) != bytes.Count(b, []byte("\r\n")) {
			return nil, 0, sniffOthers
		}
		return nil, 0, sniffMore
	}
	head = end + 4
	r = parseRequest(string(b[:end])) // one copy of the head; every field is a part of it
	if r == nil {
		return nil, 0, sniffOthers
	}
	return r, head, sniffOurs
}

// parseRequest parses the head of a request (without its final blank line) for /ws, or
// returns nil if it is anything but a plain GET for /ws over HTTP/1.1 with valid headers, one
// Host and no body.
func parseRequest(head string) *http.Request {
	line, rest, _ := strings.Cut(head, "\r\n")
	target, ok := strings.CutPrefix(line, "GET ")
	if !ok {
		return nil
	}
	if target, ok = strings.CutSuffix(target, " HTTP/1.1"); !ok {
		return nil
	}
	if strings.ContainsFunc(target, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
		return nil // net/http's to judge: a space splits its request line
	}
	if target != "/ws" && !strings.HasPrefix(target, "/ws?") {
		return nil // other paths, /ws/…, "//ws": the mux's to route or redirect
	}
	u, err := url.ParseRequestURI(target)
	if err != nil || u.Path != "/ws" {
		return nil
	}
	n := strings.Count(rest, "\r\n") + 1
	h := make(http.Header, n)
	// One array for every value: a header's value is a slice of it (most headers come once),
	// not a slice allocated for each.
	values := make([]string, 0, n)
	for rest != "" {
		var l string
		l, rest, _ = strings.Cut(rest, "\r\n")
		name, value, ok := strings.Cut(l, ":")
		if !ok || !httpguts.ValidHeaderFieldName(name) {
			return nil // no colon, a space before it, a folded line: net/http's
		}
		value = strings.Trim(value, " \t")
		if !httpguts.ValidHeaderFieldValue(value) {
			return nil
		}
		key := textproto.CanonicalMIMEHeaderKey(name)
		if vs, ok := h[key]; ok {
			h[key] = append(vs[:len(vs):len(vs)], value) // a repeated header: its own slice
			continue
		}
		values = append(values, value)
		h[key] = values[len(values)-1 : len(values) : len(values)]
	}
	hosts := h["Host"]
	if len(hosts) != 1 || !httpguts.ValidHostHeader(hosts[0]) {
		return nil
	}
	for _, k := range [...]string{"Content-Length", "Transfer-Encoding", "Expect"} {
		if _, ok := h[k]; ok {
			return nil
		}
	}
	for _, v := range h["Connection"] {
		if httpguts.HeaderValuesContainsToken([]string{v}, "close") {
			return nil
		}
	}
	delete(h, "Host") // as net/http does: it is r.Host
	// No context of its own: the request's context is Background. Admission's wait ends with
	// StopAdmitting when the listener closes, and with the client leaving through the watch
	// on its socket (wsaccept.go's upgradeWaiting), only while it waits.
	return &http.Request{
		Method: http.MethodGet, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: http.NoBody, Host: hosts[0], RequestURI: target,
	}
}

// refusal is the http.ResponseWriter admission answers a refused upgrade on: it keeps the
// status, headers and body, and bytes gives them in the form net/http writes them.
type refusal struct {
	header http.Header
	status int
	body   []byte
}

func (w *refusal) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header, 4)
	}
	return w.header
}

func (w *refusal) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *refusal) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.body = append(w.body, b...)
	return len(b), nil
}

// bytes returns the response as net/http writes a short one a handler finished: the status
// line, the handler's headers in order, Date, Content-Length, the body.
func (w *refusal) bytes(now time.Time) []byte {
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 ")
	b.WriteString(strconv.Itoa(w.status))
	b.WriteByte(' ')
	b.WriteString(http.StatusText(w.status))
	b.WriteString("\r\n")
	_ = w.Header().Write(&b) // sorted by key, as net/http writes them
	b.WriteString("Date: ")
	b.WriteString(now.UTC().Format(http.TimeFormat))
	b.WriteString("\r\nContent-Length: ")
	b.WriteString(strconv.Itoa(len(w.body)))
	b.WriteString("\r\n\r\n")
	b.Write(w.body)
	return b.Bytes()
}
