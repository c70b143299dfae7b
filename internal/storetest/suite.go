// Package storetest is the contract suite for hubbub.Store: every implementation runs it
// from its own tests, so the contract in the doc comment of hubbub.Store means the same
// thing for SQLite, PostgreSQL and anything else. Every store implements every method, so
// every test runs on every store; none is skipped for a missing capability.
package storetest

import (
	"testing"

	"hubbub"
)

// opener opens a fresh, empty store with the given retention policy.
type opener = func(t *testing.T, ret hubbub.Retention) hubbub.Store

// RunStoreTests runs the Store contract suite, one subtest per rule, each on a fresh store
// from open. open must return an empty store applying ret in Prune, fail t if it cannot,
// and close the store when the test ends (t.Cleanup); the suite closes some stores itself,
// so that cleanup must ignore the error of a second Close.
//
// The suite sleeps for about a third of a second to let messages age for MaxAge, for a tenth
// to let a sanction expire, and for a few milliseconds where two times must differ at
// millisecond precision; everything else runs as fast as the store. It asserts no durations.
func RunStoreTests(t *testing.T, open func(t *testing.T, ret hubbub.Retention) hubbub.Store) {
	tests := []struct {
		name string
		run  func(*testing.T, opener)
	}{
		{"SeqPerRoom", testSeqPerRoom},
		{"AppendAssignsFields", testAppendAssignsFields},
		{"ConcurrentOneRoom", testConcurrentOneRoom},
		{"ConcurrentManyRooms", testConcurrentManyRooms},
		{"IDAndTime", testIDAndTime},
		{"ClientIDDuplicate", testClientIDDuplicate},
		{"ClientIDScope", testClientIDScope},
		{"ClientIDConcurrent", testClientIDConcurrent},
		{"Since", testSince},
		{"Before", testBefore},
		{"Notices", testNotices},
		{"LastSeq", testLastSeq},
		{"SkipSeqs", testSkipSeqs},
		{"SkipSeqsLimit", testSkipSeqsLimit},
		{"SkipSeqsRetention", testSkipSeqsRetention},
		{"SeqFloor", testSeqFloor},
		{"SeqFloorNoRoom", testSeqFloorNoRoom},
		{"SeqFloorLimit", testSeqFloorLimit},
		{"AppendFirst", testAppendFirst},
		{"ReadsDuringAppends", testReadsDuringAppends},
		{"NoRetention", testNoRetention},
		{"MaxPerRoom", testMaxPerRoom},
		{"MaxAge", testMaxAge},
		{"CancelledContext", testCancelledContext},
		{"Close", testClose},
		{"Check", testCheck},
		{"Sanctions", testSanctions},
		{"SanctionsPage", testSanctionsPage},
		{"SanctionEntries", testSanctionEntries},
		{"Rooms", testRooms},
		{"RoomsRetention", testRoomsRetention},
		{"ModerationDoneContext", testModerationDoneContext},
		{"Edit", testEdit},
		{"EditRefused", testEditRefused},
		{"Delete", testDelete},
		{"DeleteModerator", testDeleteModerator},
		{"DeleteTwice", testDeleteTwice},
		{"DeleteConcurrent", testDeleteConcurrent},
		{"ReactionToggle", testReactionToggle},
		{"ReactionOrder", testReactionOrder},
		{"ReactionLimit", testReactionLimit},
		{"ReactedBy", testReactedBy},
		{"Replies", testReplies},
		{"ReplyRefused", testReplyRefused},
		{"ArgumentEdges", testArgumentEdges},
		{"SeqAcrossKinds", testSeqAcrossKinds},
		{"UnknownKind", testUnknownKind},
		{"FieldsOfKind", testFieldsOfKind},
		{"ConcurrentKinds", testConcurrentKinds},
		{"ConcurrentChanges", testConcurrentChanges},
		{"ConcurrentToggles", testConcurrentToggles},
		{"ConcurrentLimit", testConcurrentLimit},
		{"LastSeqEveryKind", testLastSeqEveryKind},
		{"ClientIDKinds", testClientIDKinds},
		{"ClientIDConcurrentKinds", testClientIDConcurrentKinds},
		{"RetentionEntries", testRetentionEntries},

		// The people of issue 16: users, and what is keyed by them.
		{"Users", testUsers},
		{"NamesIgnoreCase", testNamesIgnoreCase},
		{"UserNamesConcurrent", testUserNamesConcurrent},
		{"UsersPaging", testUsersPaging},
		{"UpdateUser", testUpdateUser},
		{"ClaimGuest", testClaimGuest},
		{"ExternalUser", testExternalUser},
		{"Sessions", testSessions},
		{"Invites", testInvites},
		{"InvitesConcurrent", testInvitesConcurrent},
		{"ClientIDPerUser", testClientIDPerUser},
		{"AuthorshipPerUser", testAuthorshipPerUser},
		{"ReactionsPerUser", testReactionsPerUser},
		{"SanctionsPerUser", testSanctionsPerUser},
		{"EmptyUserIsName", testEmptyUserIsName},
		{"CreateRoom", testCreateRoom},
		{"CreateRoomConcurrent", testCreateRoomConcurrent},
		{"RoomTopic", testRoomTopic},
		{"JoinRoom", testJoinRoom},
		{"MemberChanges", testMemberChanges},
		{"OwnerKept", testOwnerKept},
		{"OwnerLeavesPublic", testOwnerLeavesPublic},
		{"OwnerConcurrent", testOwnerConcurrent},
		{"OwnerHandoverOutbox", testOwnerHandoverOutbox},
		{"OwnerRegained", testOwnerRegained},
		{"OwnerRegainedConcurrent", testOwnerRegainedConcurrent},
		{"MembersPaging", testMembersPaging},
		{"MembersNamed", testMembersNamed},
		{"Directory", testDirectory},
		{"CountRooms", testCountRooms},
		{"ResolveRoom", testResolveRoom},
		{"OneRoomPerKey", testOneRoomPerKey},
		{"OneRoomPerKeyConcurrent", testOneRoomPerKeyConcurrent},
		{"SetRead", testSetRead},
		{"MyRooms", testMyRooms},
		{"MyRoomsBanned", testMyRoomsBanned},
		{"UnreadCap", testUnreadCap},
		{"PeopleDoneContext", testPeopleDoneContext},
		{"RoomStateRetention", testRoomStateRetention},

		// Search (issue 17).
		{"SearchEdit", testSearchEdit},
		{"SearchDelete", testSearchDelete},
		{"SearchPrune", testSearchPrune},
		{"SearchRooms", testSearchRooms},
		{"SearchFilters", testSearchFilters},
		{"SearchLanguages", testSearchLanguages},
		{"SearchOrder", testSearchOrder},
		{"SearchPaging", testSearchPaging},
		{"SearchLimits", testSearchLimits},
		{"SearchContext", testSearchContext},
	}
	// The files of issue 17: uploads' metadata, attached through the room log.
	tests = append(tests, fileCases...)
	// The slash commands of issue 18.
	tests = append(tests, commandCases...)
	// The integrations of issue 18: webhooks, the outbox, deliveries, notify candidates.
	tests = append(tests, outboxCases...)
	// The bots of issue 18.
	tests = append(tests, botCases...)
	// The generations of issue 19's caches.
	tests = append(tests, generationCases...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, open) })
	}
}
