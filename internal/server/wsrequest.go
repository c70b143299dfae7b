package server

import (
	"bytes"
	"net"
	"net/http"
	"net/netip"
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
// returns the request and the length of its head in read, a copy of b as one string that
// every field of the request is a part of: what follows the head in it is the client's first
// frames, sent without waiting for the 101.
func sniffRequest(b []byte) (r *http.Request, read string, head int, res sniffResult) {
	if n := min(len(b), len(wsRequestPrefix)); string(b[:n]) != wsRequestPrefix[:n] {
		return nil, "", 0, sniffOthers
	}
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		// A bare LF ends a line for net/http too, so a head may end ("\r\n\n") without the
		// CRLF CRLF looked for here: waiting for more would hold a request net/http answers
		// until the handshake timeout. Any bare LF is net/http's to judge.
		if bytes.Count(b, []byte("\n")) != bytes.Count(b, []byte("\r\n")) {
			return nil, "", 0, sniffOthers
		}
		return nil, "", 0, sniffMore
	}
	// One copy of what was read, out of the pooled buffer: the request's strings are parts of
	// it, and so are the early frames; after a restart thousands of upgrades wait for an
	// admission slot at once, each holding it (docs/benchmarks/reconnect-storm.md, "Page
	// faults after a restart").
	read = string(b)
	r = parseRequest(read[:end])
	if r == nil {
		return nil, "", 0, sniffOthers
	}
	return r, read, end + 4, sniffOurs
}

// parsedRequest is a request the listener read, in one allocation: the request, its URL and
// the array its headers' values are slices of.
type parsedRequest struct {
	r      http.Request
	url    url.URL
	values [parsedValues]string
}

// parsedValues is how many header lines a parsedRequest holds the values of (the load
// generator sends 7, gorilla's Dialer 6); a request with more (a browser's, with its cookies
// and languages, has 12–14) gets a slice of its own.
const parsedValues = 8

// parseRequest parses the head of a request (without its final blank line) for /ws, or
// returns nil if it is anything but a plain GET for /ws over HTTP/1.1 with valid headers, one
// Host and no body. It reads what net/http's ReadRequest would (FuzzParseRequestIsNetHTTPs),
// with its allocations cut to the request, its header map and the canonical names of headers
// a client sent in another case (rare: headerKey): each was a share of every upgrade after a
// restart (docs/benchmarks/reconnect-storm.md, "The upgrade's request read").
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
	// The URL url.ParseRequestURI makes of "/ws" or "/ws?query" (a target without a scheme
	// or a %-escape in its path, which the cut above and this test leave): the path, the
	// query as sent, and ForceQuery for a "?" with nothing after it.
	query, withQuery := strings.CutPrefix(target, "/ws?")
	if !withQuery {
		if target != "/ws" {
			return nil // other paths, /ws/…, "//ws": the mux's to route or redirect
		}
		query = ""
	}
	p := new(parsedRequest)
	p.url = url.URL{Path: "/ws", RawQuery: query, ForceQuery: withQuery && query == ""}
	n := strings.Count(rest, "\r\n") + 1
	h := make(http.Header, n)
	// One array for every value: a header's value is a slice of it (most headers come once),
	// not a slice allocated for each.
	values := p.values[:0]
	if n > len(p.values) {
		values = make([]string, 0, n)
	}
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
		key := headerKey(name)
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
	p.r = http.Request{
		Method: http.MethodGet, URL: &p.url, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: http.NoBody, Host: hosts[0], RequestURI: target,
	}
	return &p.r
}

// wsHeaderKeys are the canonical names of the headers of a WebSocket handshake that clients
// send in another case: every browser and gorilla's Dialer write "Sec-WebSocket-Key", which
// textproto's canonical form spells "Sec-Websocket-Key", and canonicalizing it allocated the
// new name for every header of every handshake.
var wsHeaderKeys = [...]string{"Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Protocol",
	"Sec-Websocket-Extensions"}

// headerKey is textproto.CanonicalMIMEHeaderKey(name) for a valid header name, without an
// allocation for a name already canonical or one of wsHeaderKeys in any case.
func headerKey(name string) string {
	if len(name) >= len("Sec-Websocket-Key") && (name[0] == 'S' || name[0] == 's') {
		for _, k := range wsHeaderKeys {
			if asciiFoldEqual(name, k) {
				return k
			}
		}
	}
	return textproto.CanonicalMIMEHeaderKey(name) // allocates only for a name it changes
}

// asciiFoldEqual reports whether name equals k, made of letters and '-', but for the case of
// its letters.
func asciiFoldEqual(name, k string) bool {
	if len(name) != len(k) {
		return false
	}
	for i := 0; i < len(k); i++ {
		c, want := name[i], k[i]
		if want == '-' {
			if c != '-' {
				return false
			}
		} else if c|0x20 != want|0x20 { // a letter of k: only its two cases match
			return false
		}
	}
	return true
}

// remoteString is a.String(), in one allocation for a TCP address in IPv4 (net's String
// makes three: the IP's string, the port's, and the two joined).
func remoteString(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || ta == nil || ta.Zone != "" {
		return a.String()
	}
	ip4 := ta.IP.To4()
	if ip4 == nil {
		return a.String()
	}
	var b [len("255.255.255.255:65535")]byte
	s := netip.AddrFrom4([4]byte(ip4)).AppendTo(b[:0])
	s = append(s, ':')
	return string(strconv.AppendInt(s, int64(ta.Port), 10))
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
