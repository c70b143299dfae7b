package api

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/session"
	"hubbub/internal/wire"
)

// FuzzAPIRequest feeds arbitrary bodies to the API's JSON decoding and validation, as the
// publish, edit, delete, reaction and moderation endpoints use them: nothing may panic, every
// refusal must be a 4xx error with a code, and whatever is accepted must be valid.
func FuzzAPIRequest(f *testing.F) {
	for _, s := range []string{
		`{"from":"System","text":"hello","id":"sys-1"}`,
		`{"from":"System","text":"line\nbreak"}`,
		`{"from":"System","text":"re","reply_to":3}`,
		`{"from":"System","text":"re","reply_to":-1}`,
		`{"from":"System","text":"edited @ann","id":"e-1"}`,
		`{"from":"System","id":"d-1"}`,
		`{"from":"System"}`,
		`{"from":"System","as":"x"}`,
		`{"name":"eve","reason":"spam"}`,
		`{"name":"eve","duration":"1h","reason":"x"}`,
		`{"name":"eve","duration":"-1s"}`,
		`{"from":"a","text":"x"} {}`,
		`{"from":"a","text":"x","extra":true}`,
		`{"from":"\u0000","text":"\ud800"}`,
		`{"from":"a","attachments":["f_1","f_2"]}`, `{"from":"a","attachments":["f_1","f_1"]}`, `{"from":"a","attachments":[""]}`,
		`[]`, `null`, `{`, ``, `"str"`, `{"name":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p publishRequest
		if err := decodeJSON(bytes.NewReader(data), &p); err != nil {
			checkRefusal(t, data, err)
		} else if m, err := p.message("room", session.New(session.Config{MaxText: 4096}, nil)); err != nil {
			checkRefusal(t, data, err)
		} else if hubbub.ValidateName(m.From) != nil || m.Text == "" && len(m.Attachments) == 0 || len(m.Text) > 4096 ||
			len(m.ClientID) > hubbub.MaxClientIDLen || len(m.Attachments) > hubbub.MaxAttachments {
			t.Fatalf("accepted an invalid publish %q: %+v", data, m)
		}
		var e editRequest
		if err := decodeJSON(bytes.NewReader(data), &e); err != nil {
			checkRefusal(t, data, err)
		} else if m, err := e.entry("room", 7, 4096); err != nil {
			checkRefusal(t, data, err)
		} else if m.Kind != hubbub.KindEdit || m.Target != 7 || hubbub.ValidateName(m.From) != nil || m.Text == "" || len(m.Text) > 4096 {
			t.Fatalf("accepted an invalid edit %q: %+v", data, m)
		}
		var d actorRequest
		if err := decodeJSON(bytes.NewReader(data), &d); err != nil {
			checkRefusal(t, data, err)
		} else if err := d.check(); err != nil {
			checkRefusal(t, data, err)
		} else if d.From != "" && hubbub.ValidateName(d.From) != nil || hubbub.ValidateClientID(d.ID) != nil {
			t.Fatalf("accepted an invalid delete %q: %+v", data, d)
		}
		for _, action := range []string{wire.TypeKick, wire.TypeBan, wire.TypeMute} {
			var m moderationRequest
			if err := decodeJSON(bytes.NewReader(data), &m); err != nil {
				checkRefusal(t, data, err)
				continue
			}
			if err := m.check(action); err != nil {
				checkRefusal(t, data, err)
				continue
			}
			if hubbub.ValidateName(m.Name) != nil {
				t.Fatalf("%s accepted the name %q", action, m.Name)
			}
			if action != wire.TypeKick {
				if _, _, err := session.ParseDuration(m.Duration); err != nil {
					t.Fatalf("%s accepted the duration %q", action, m.Duration)
				}
			}
		}
	})
}

func checkRefusal(t *testing.T, data []byte, err error) {
	t.Helper()
	ae := toAPIError(err)
	if ae.Status < 400 || ae.Status >= 500 || ae.Code == "" || ae.Code == hubbub.ECodeInternal {
		t.Fatalf("body %q: refusal %d %q %q is not a client error", data, ae.Status, ae.Code, ae.Message)
	}
}

func TestAPIErrorStatuses(t *testing.T) {
	for code, status := range map[string]int{
		hubbub.ECodeBadName: 400, hubbub.ECodeForbidden: 403, hubbub.ECodeNotFound: 404,
		hubbub.ECodeUnavailable: 503, hubbub.ECodeInternal: 500, hubbub.ECodeDisabled: 501, hubbub.ECodeConflict: 409,
	} {
		if got := toAPIError(hubbub.Errorf(code, "x")); got.Status != status {
			t.Errorf("%s → %d, want %d", code, got.Status, status)
		}
	}
	if got := toAPIError(errors.New("boom")); got.Status != http.StatusInternalServerError || got.Message != "internal error" {
		t.Errorf("plain error → %+v", got)
	}
}

// TestFoldKeyMatchesEqualFold: two keys fold to one exactly when strings.EqualFold matches
// them, so the map of folded keys refuses what the comparison of every pair refused, and
// nothing more: ASCII case, the Kelvin sign and the long s, Greek sigma's three forms.
func TestFoldKeyMatchesEqualFold(t *testing.T) {
	keys := []string{"text", "Text", "TEXT", "k", "K", "\u212a", "s", "S", "\u017f", "σ", "Σ", "ς", "from", "fröm", "FRÖM", "room_id", "roomid", ""}
	for _, a := range keys {
		for _, b := range keys {
			if got, want := foldKey(a) == foldKey(b), strings.EqualFold(a, b); got != want {
				t.Errorf("foldKey(%q) == foldKey(%q) is %v, strings.EqualFold %v", a, b, got, want)
			}
		}
	}
}
