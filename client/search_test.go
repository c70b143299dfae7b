package client_test

import (
	"fmt"
	"sync"
	"testing"

	"hubbub/client"
	"hubbub/internal/servertest"
)

// Searches made at once on one connection each get their own answer — hits, or the error that
// refused it — matched by the id the server echoes; Next pages on.
func TestConnSearch(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	ann, annRec := dialConn(t, ctx, s.WS, "ann")
	for _, room := range []string{"r", "s"} {
		if _, err := ann.Join(ctx, room, nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range [][2]string{{"r", "alpha one"}, {"r", "alpha two"}, {"s", "beta three"}, {"s", "alpha four"}} {
		id := fmt.Sprintf("m-%d", i)
		if err := ann.Send(ctx, m[0], id, m[1]); err != nil {
			t.Fatal(err)
		}
		if _, refused := ackOf(t, annRec, id); refused != nil {
			t.Fatal(refused)
		}
	}
	reqs := []client.SearchRequest{
		{Q: "alpha", Room: "r"},
		{Q: "alpha"},
		{Q: "beta", Room: "s"},
		{Q: "", Room: "r"},
		{Q: "alpha", Room: "r", Limit: 1},
	}
	type answer struct {
		texts []string
		next  string
		code  string
	}
	got := make([]answer, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Go(func() {
			res, err := ann.Search(ctx, req)
			if err != nil {
				got[i].code = code(err)
				return
			}
			for _, h := range res.Hits {
				got[i].texts = append(got[i].texts, h.Message.Text)
			}
			got[i].next = res.Next
		})
	}
	wg.Wait()
	want := []answer{
		{texts: []string{"alpha two", "alpha one"}},
		{texts: []string{"alpha four", "alpha two", "alpha one"}},
		{texts: []string{"beta three"}},
		{code: "empty"},
		{texts: []string{"alpha two"}},
	}
	for i := range reqs {
		g, w := got[i], want[i]
		if fmt.Sprint(g.texts) != fmt.Sprint(w.texts) || g.code != w.code || (i == 4) != (g.next != "") {
			t.Errorf("search %+v: got %+v, want %+v (a next only for the page of one)", reqs[i], g, w)
		}
	}
	rest, err := ann.Search(ctx, client.SearchRequest{Q: "alpha", Room: "r", Limit: 1, Cursor: got[4].next})
	if err != nil || len(rest.Hits) != 1 || rest.Hits[0].Message.Text != "alpha one" {
		t.Errorf("the next page: %+v, %v", rest, err)
	}
}
