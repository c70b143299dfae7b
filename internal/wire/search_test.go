package wire

import (
	"reflect"
	"testing"
	"time"

	"hubbub"
)

// A search_results frame carries each hit's message as history does and its snippet's pieces,
// and reads back as it was written.
func TestSearchResultsEncoding(t *testing.T) {
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	hits := NewSearchHits([]hubbub.SearchHit{
		{Message: hubbub.Entry{Room: "eng", Seq: 7, ID: "01J", From: "ann", Text: "we deployed <b>it</b>", Time: at},
			Snippet: []hubbub.SnippetPart{{Text: "we "}, {Text: "deployed", Hit: true}, {Text: " <b>it</b>"}}},
		{Message: hubbub.Entry{Room: "eng", Seq: 9, ID: "01K", From: "bob", Text: "x", Time: at}},
	}, "")
	res := SearchResults{Type: TypeSearchResults, ID: "s-1", Q: "deploy", Hits: hits, Next: "n"}
	want := `{"type":"search_results","id":"s-1","q":"deploy","hits":[` +
		`{"message":{"type":"message","room":"eng","seq":7,"id":"01J","from":"ann","text":"we deployed \u003cb\u003eit\u003c/b\u003e","time":"2026-12-03T09:00:00.000Z"},"snippet":[{"text":"we "},{"text":"deployed","hit":true},{"text":" \u003cb\u003eit\u003c/b\u003e"}]},` +
		`{"message":{"type":"message","room":"eng","seq":9,"id":"01K","from":"bob","text":"x","time":"2026-12-03T09:00:00.000Z"},"snippet":[]}],"next":"n"}`
	if got := string(Encode(res)); got != want {
		t.Errorf("encoded\n got %s\nwant %s", got, want)
	}
	back, err := DecodeFrame(Encode(res))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, &res) {
		t.Errorf("decoded %#v, want %#v", back, &res)
	}
}

// A client's search request spells its times as the wire does, and the server reads them back
// as the search's since and until.
func TestSearchRequestTimes(t *testing.T) {
	since := time.Date(2026, 12, 1, 8, 0, 0, 0, time.FixedZone("x", 3600))
	b := Encode(SearchRequest{Type: TypeSearch, Q: "deploy", Since: Time{Time: since}})
	if want := `{"type":"search","q":"deploy","since":"2026-12-01T07:00:00.000Z"}`; string(b) != want {
		t.Errorf("encoded %s, want %s", b, want)
	}
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Since == nil || !f.Since.IsTime || f.Since.Time != "2026-12-01T07:00:00.000Z" || f.Since.SeqPtr() != nil || f.Until != "" {
		t.Errorf("read since %+v, until %q", f.Since, f.Until)
	}
	j, err := Decode([]byte(`{"type":"join","room":"r","since":0}`))
	if err != nil || j.Since.SeqPtr() == nil || *j.Since.SeqPtr() != 0 {
		t.Errorf("a join's since 0 reads as %+v, %v", j.Since, err)
	}
}
