package storetest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/storetest"
)

// bugEnv tells a child test process which bug its memStore has.
const bugEnv = "HUBBUB_STORETEST_BUG"

// TestMemStore runs the suite on memStore: a correct store must pass it. With bugEnv set,
// TestSuiteCatchesBugs runs it in a child process and expects it to fail.
func TestMemStore(t *testing.T) {
	bug := os.Getenv(bugEnv)
	storetest.RunStoreTests(t, func(t *testing.T, ret hubbub.Retention) hubbub.Store {
		s := newMemStore(ret, bug)
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// TestMemStoreShared runs the cases of two stores on one set of data on memStore: again is a
// second handle on the same data, as a second node or the store opened again.
func TestMemStoreShared(t *testing.T) {
	bug := os.Getenv(bugEnv)
	storetest.RunSharedStoreTests(t, func(t *testing.T) (hubbub.Store, func(t *testing.T) hubbub.Store) {
		s := newMemStore(hubbub.Retention{}, bug)
		t.Cleanup(func() { _ = s.Close() })
		return s, func(t *testing.T) hubbub.Store {
			other := s.again()
			t.Cleanup(func() { _ = other.Close() })
			return other
		}
	})
}

// TestMemStoreMaxAgeWithClock runs the clock-driven retention check on memStore.
func TestMemStoreMaxAgeWithClock(t *testing.T) {
	storetest.MaxAgeWithClock(t, func(t *testing.T, now func() time.Time, ret hubbub.Retention) hubbub.Store {
		s := newMemStore(ret, "")
		s.now = now
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// TestSuiteCatchesBugs checks that the suite is not vacuous: for each way a store can break
// the contract, the subtest meant to notice does fail.
func TestSuiteCatchesBugs(t *testing.T) {
	if os.Getenv(bugEnv) != "" {
		t.Skip("child process")
	}
	bugs := []struct{ bug, subtest string }{
		{"gap", "SeqPerRoom"},
		{"noticesall", "Notices"},
		{"noticesupto", "Notices"},
		{"noticesoldest", "Notices"},
		{"skipnone", "SkipSeqs"},
		{"nofloor", "SeqFloor"},
		{"nofloor", "SeqFloorNoRoom"},
		{"nofloor", "Shared/SeqFloorTwoNodes"},
		{"skipmeta", "SkipSeqs"},
		{"flooradd", "SeqFloorNoRoom"},
		{"firstnone", "AppendFirst"},
		{"firstfloor", "AppendFirst"},
		{"firstdup", "AppendFirst"},
		{"forge", "AppendAssignsFields"},
		{"race", "ConcurrentOneRoom"},
		{"race", "ConcurrentManyRooms"},
		{"id", "IDAndTime"},
		{"nanos", "IDAndTime"},
		{"nodedup", "ClientIDDuplicate"},
		{"dedupanysender", "ClientIDScope"},
		{"dedupconcurrent", "ClientIDConcurrent"},
		{"limit", "Since"},
		{"order", "Before"},
		{"before0", "Before"},
		{"torn", "ReadsDuringAppends"},
		{"reuse", "MaxAge"},
		{"count", "MaxPerRoom"},
		{"age", "MaxAge"},
		{"ctx", "CancelledContext"},
		{"close", "Close"},
		{"ctx", "Check"},
		{"close", "Check"},
		{"expired", "Sanctions"},
		{"expired", "SanctionsPage"},
		{"sanctionsafter", "SanctionsPage"},
		{"sanctionsname", "SanctionsPage"},
		{"roomsafter", "Rooms"},
		{"roomscase", "Rooms"},
		{"ctx", "ModerationDoneContext"},
		{"close", "ModerationDoneContext"},
		{"forgestate", "AppendAssignsFields"},
		{"revisionsnew", "Edit"},
		{"editanyone", "EditRefused"},
		{"editdeleted", "EditRefused"},
		{"plainerr", "EditRefused"},
		{"refusedseq", "EditRefused"},
		{"keeptext", "Delete"},
		{"keepedits", "Delete"},
		{"keeprevisions", "Delete"},
		{"reactdeleted", "Delete"},
		{"editdeleted", "Delete"},
		{"deleteanyone", "DeleteModerator"},
		{"deleteagain", "DeleteTwice"},
		{"deleteagain", "DeleteConcurrent"},
		{"plainerr", "ReactionToggle"},
		{"reactorder", "ReactionOrder"},
		{"allnames", "ReactionOrder"},
		{"nolimit", "ReactionLimit"},
		{"refusedseq", "ReactionLimit"},
		{"reactedbyanyone", "ReactedBy"},
		{"noreplycount", "Replies"},
		{"repliesnewest", "Replies"},
		{"replyanywhere", "ReplyRefused"},
		{"plainerr", "ReplyRefused"},
		{"sincemessages", "SeqAcrossKinds"},
		{"beforeall", "SeqAcrossKinds"},
		{"lastmessage", "SeqAcrossKinds"},
		{"refusedseq", "UnknownKind"},
		{"readall", "FieldsOfKind"},
		{"race", "ConcurrentKinds"},
		{"countrace", "ConcurrentKinds"},
		{"checkrace", "ConcurrentChanges"},
		{"deleteagain", "ConcurrentChanges"},
		{"checkrace", "ConcurrentToggles"},
		{"countrace", "ConcurrentToggles"},
		{"checkrace", "ConcurrentLimit"},
		{"nolimit", "ConcurrentLimit"},
		{"lastmessage", "LastSeqEveryKind"},
		{"nodedup", "ClientIDKinds"},
		{"dedupkind", "ClientIDKinds"},
		{"dedupafter", "ClientIDKinds"},
		{"dedupconcurrent", "ClientIDConcurrentKinds"},
		{"prunemessagesonly", "RetentionEntries"},
		{"outboxalways", "OutboxOnlyWithWebhooks"},
		{"outboxunfollowed", "OutboxOnlyFollowed"},
		{"outboxnomention", "OutboxOnlyFollowed"},
		{"outboxfirsthooks", "OutboxOnlyFollowed"},
		{"outboxcreateany", "OutboxOnlyFollowed"},
		{"outboxfirsthooks", "Shared/OutboxFollowTwoNodes"},
		{"fanoutnewest", "OutboxOrder"},
		{"deadblocks", "DeadAndReplay"},
		{"dueall", "DueOnePerQueue"},
		{"duefifo", "DueFairAcrossWebhooks"},
		{"dueall", "OutboxOrder"},
		{"leaseanyone", "Lease"},
		{"nodesexpired", "Nodes"},
		{"summaryallnext", "SummarizeDeliveries"},
		{"notifysender", "NotifyCandidates"},
		{"prunemessagesonly", "MaxAge"},
		{"count", "RetentionEntries"},

		{"namecase", "Users"},
		{"genusers", "Generations"},
		{"genusers", "Shared/GenerationsTwoNodes"},
		{"gencommands", "Generations"},
		{"genrooms", "Generations"},
		{"genrooms", "Shared/GenerationsTwoNodes"},
		{"genbots", "Generations"},
		{"namerace", "UserNamesConcurrent"},
		{"usersafter", "UsersPaging"},
		{"updatepartial", "UpdateUser"},
		{"namecase", "UpdateUser"},
		{"seenback", "UpdateUser"},
		{"guestnew", "ClaimGuest"},
		{"guestdisabled", "ClaimGuest"},
		{"guestrespell", "ClaimGuest"},
		{"guestbykeyaccount", "ClaimGuest"},
		{"signoutsilent", "Sessions"},
		{"withdrawany", "WithdrawFile"},
		{"withdrawattached", "WithdrawFile"},
		{"withdrawrace", "WithdrawFileConcurrent"},
		{"signoutsilent", "Generations"},
		{"externalrename", "ExternalUser"},
		{"externaldisabled", "ExternalUser"},
		{"sessionexpired", "Sessions"},
		{"disablesessions", "Sessions"},
		{"inviteagain", "Invites"},
		{"inviterace", "InvitesConcurrent"},
		{"dedupname", "ClientIDPerUser"},
		{"authorname", "AuthorshipPerUser"},
		{"reactname", "ReactionsPerUser"},
		{"reactedbyanyone", "ReactionsPerUser"},
		{"sanctionname", "SanctionsPerUser"},
		{"nouserdefault", "EmptyUserIsName"},
		{"createseq", "CreateRoom"},
		{"topiclong", "CreateRoom"},
		{"createrace", "CreateRoomConcurrent"},
		{"topiclong", "RoomTopic"},
		{"joinprivate", "JoinRoom"},
		{"joinagain", "JoinRoom"},
		{"memberexists", "MemberChanges"},
		{"joinrole", "MemberChanges"},
		{"leavemissing", "MemberChanges"},
		{"ownerless", "OwnerKept"},
		{"demotealone", "OwnerKept"},
		{"heirmember", "OwnerKept"},
		{"noauto", "OwnerKept"},
		{"nohandover", "OwnerKept"},
		{"duphandover", "OwnerKept"},
		{"ownerless", "OwnerLeavesPublic"},
		{"checkrace", "OwnerConcurrent"},
		{"outboxunfollowed", "OwnerHandoverOutbox"},
		{"joinownerless", "OwnerRegained"},
		{"joinrace", "OwnerRegainedConcurrent"},
		{"joinname", "OwnerRegained"},
		{"membername", "MembersPaging"},
		{"membersafter", "MembersPaging"},
		{"namedexact", "MembersNamed"},
		{"dircase", "Directory"},
		{"resolvefold", "ResolveRoom"},
		{"resolveempty", "ResolveRoom"},
		{"keyfree", "OneRoomPerKey"},
		{"keyfree", "OneRoomPerKeyConcurrent"},
		{"keyrace", "OneRoomPerKeyConcurrent"},
		{"countpast", "CountRooms"},
		{"dirprivate", "Directory"},
		{"dirlike", "Directory"},
		{"readback", "SetRead"},
		{"readclamp", "SetRead"},
		{"unreadown", "MyRooms"},
		{"unreaddeleted", "MyRooms"},
		{"mentionroom", "MyRooms"},
		{"myroomread", "MyRooms"},
		{"unreadcap", "UnreadCap"},
		{"bannedany", "MyRoomsBanned"},
		{"bannedended", "MyRoomsBanned"},
		{"bannedcounts", "MyRoomsBanned"},
		{"ctx", "PeopleDoneContext"},
		{"close", "PeopleDoneContext"},
		{"prunestate", "RoomStateRetention"},
		{"searchstale", "SearchEdit"},
		{"searchrooms", "SearchRooms"},
		{"searchpage", "SearchPaging"},
		{"searchcursor", "SearchPaging"},
		{"searchrank", "SearchOrder"},
		{"searchcjk", "SearchLanguages"},
		{"ctx", "SearchContext"},

		// The files of issue 17.
		{"quotaoff", "FileQuota"},
		{"quotarace", "FileQuotaConcurrent"},
		{"noattachread", "Attach"},
		{"fileanyone", "AttachRefused"},
		{"attachtwice", "AttachRefused"},
		{"attachtwice", "AttachConcurrent"},
		{"attachfirst", "AttachResend"},
		{"keepfiles", "FilesAfterDelete"},
		{"filefound", "FilesAfterDelete"},
		{"prunefiles", "FilesAfterPrune"},
		{"filefound", "FilesAfterPrune"},
		{"nograce", "FilesUnattachedGrace"},
		{"collectnomark", "FilesCollectedNotAttached"},
		{"ctx", "FilesDoneContext"},
		{"close", "FilesDoneContext"},

		// The slash commands of issue 18.
		{"commandunchecked", "CommandRefused"},
		{"commandtwice", "Commands"},
		{"commandtwice", "CommandConcurrent"},
		{"commandnolimit", "CommandLimit"},
		{"commandorder", "Commands"},
		{"responseagain", "CommandResponseOnce"},
		{"ctx", "CommandsDoneContext"},
		{"close", "CommandsDoneContext"},
		{"commandtwice", "Shared/CommandsTwoNodes"},
		{"responseagain", "Shared/CommandsTwoNodes"},

		// The bots of issue 18.
		{"nobotread", "BotFlag"},
		{"botkeeptoken", "Bots"},
		{"botdisabled", "Bots"},

		// RunSharedStoreTests.
		{"namerace", "Shared/NamesTwoNodes"},
		{"inviterace", "Shared/InvitesTwoNodes"},
		{"createrace", "Shared/CreateRoomTwoNodes"},
		{"keyrace", "Shared/OneRoomPerKeyTwoNodes"},
		{"reopenreads", "Shared/PeopleAfterReopen"},
		{"quotarace", "Shared/FilesTwoNodes"},
		{"attachtwice", "Shared/FilesTwoNodes"},
	}
	for _, b := range bugs {
		t.Run(b.bug+"/"+b.subtest, func(t *testing.T) {
			t.Parallel()
			test, subtest := "TestMemStore", b.subtest
			if rest, ok := strings.CutPrefix(subtest, "Shared/"); ok {
				test, subtest = "TestMemStoreShared", rest
			}
			cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$/^"+subtest+"$", "-test.count=1")
			cmd.Env = append(os.Environ(), bugEnv+"="+b.bug)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "--- FAIL: "+test+"/"+subtest+" ") {
				t.Errorf("a store with bug %q passed %s (err %v):\n%s", b.bug, b.subtest, err, out)
			}
		})
	}
}
