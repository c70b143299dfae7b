package e2e

import (
	"net/http"
	"testing"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// A message a moderator deletes turns into a tombstone on an open page, live, and stays one
// for a page that loads the history afterwards.
func TestDeletedMessageBecomesATombstone(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: "e2e-api-key"}})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	gopher := dialUser(t, srv, "gopher", "general")
	gopher.say("general", "this one goes away")
	ann.see("gopher", "this one goes away")

	if code, _ := srv.API("DELETE", "/api/rooms/general/messages/1", "e2e-api-key", nil); code != http.StatusOK {
		t.Fatalf("delete: status %d", code)
	}
	tombstone := `(() => { const t = document.querySelector('#message-list li[data-seq="1"] .text');
		return !!t && t.classList.contains("deleted") && t.textContent === "Message deleted"; })()`
	gone := `!document.getElementById("message-list").textContent.includes("this one goes away")`
	ann.waitFor("the live tombstone", tombstone+" && "+gone)

	cy := b.newUser("cy")
	cy.open(srv.URL + "/#general")
	cy.waitFor("the tombstone in history", tombstone+" && "+gone)
}
