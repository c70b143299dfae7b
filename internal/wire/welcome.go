package wire

import (
	"math"
	"strconv"
)

// EncodeWelcome is Encode(*w), spelled by hand: every hubbub.v1 connection gets a welcome,
// and json.Marshal's reflection over its nested structs was 2.5 % of the server's CPU in a
// connect + join, 1.5 % by hand (docs/benchmarks/connect.md). The bytes are the same as
// Encode's (TestEncodeWelcomeIsEncode, FuzzEncodeWelcome).
func EncodeWelcome(w *Welcome) []byte {
	if f := w.Limits.SendRate; math.IsNaN(f) || math.IsInf(f, 0) {
		return Encode(*w) // not JSON: Encode's panic, as before
	}
	n := 240 + len(w.Name) + len(w.Server) + len(w.Version) + len(w.Role)
	if u := w.User; u != nil {
		n += 48 + len(u.ID) + len(u.Name) + len(u.Kind) + len(u.Role)
	}
	for _, c := range w.Commands {
		n += 32 + len(c.Name) + len(c.Description)
	}
	b := make([]byte, 0, n) // room for the frame unless a string needs escapes
	b = append(b, `{"type":`...)
	b = appendString(b, w.Type)
	b = append(b, `,"name":`...)
	b = appendString(b, w.Name)
	b = append(b, `,"server":`...)
	b = appendString(b, w.Server)
	b = append(b, `,"version":`...)
	b = appendString(b, w.Version)
	b = append(b, `,"role":`...)
	b = appendString(b, w.Role)
	l := &w.Limits
	b = append(b, `,"limits":{"max_text":`...)
	b = strconv.AppendInt(b, int64(l.MaxText), 10)
	b = append(b, `,"max_rooms":`...)
	b = strconv.AppendInt(b, int64(l.MaxRooms), 10)
	b = append(b, `,"history_max":`...)
	b = strconv.AppendInt(b, int64(l.HistoryMax), 10)
	b = append(b, `,"history_page_max":`...)
	b = strconv.AppendInt(b, int64(l.HistoryPageMax), 10)
	b = append(b, `,"send_rate":`...)
	b = appendFloat(b, l.SendRate)
	b = append(b, `,"send_burst":`...)
	b = strconv.AppendInt(b, int64(l.SendBurst), 10)
	if l.MaxAttachments != 0 {
		b = append(b, `,"max_attachments":`...)
		b = strconv.AppendInt(b, int64(l.MaxAttachments), 10)
	}
	if l.Frame != 0 {
		b = append(b, `,"frame":`...)
		b = strconv.AppendInt(b, int64(l.Frame), 10)
	}
	b = append(b, '}')
	if u := w.User; u != nil {
		b = append(b, `,"user":{"id":`...)
		b = appendString(b, u.ID)
		b = append(b, `,"name":`...)
		b = appendString(b, u.Name)
		b = append(b, `,"kind":`...)
		b = appendString(b, u.Kind)
		b = append(b, `,"role":`...)
		b = appendString(b, u.Role)
		b = append(b, '}')
	}
	if len(w.Commands) > 0 {
		b = append(b, `,"commands":[`...)
		for i, c := range w.Commands {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, c.Name)
			if c.Description != "" {
				b = append(b, `,"description":`...)
				b = appendString(b, c.Description)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if w.SearchOff {
		b = append(b, `,"search_off":true`...)
	}
	if w.UploadsOff {
		b = append(b, `,"uploads_off":true`...)
	}
	return append(b, '}')
}

// appendFloat appends a finite f as encoding/json writes a float64: the shortest form that
// reads back the same, without an exponent from 1e-6 up to 1e21, and an exponent of at least
// two digits written without a leading zero ("1e-07" becomes "1e-7").
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
