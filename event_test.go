package hubbub_test

import (
	"reflect"
	"testing"

	"hubbub"
	"hubbub/internal/eventtest"
)

// Visit's type switch is the one place where a kind could be forgotten without a compile
// error: every kind of EventVisitor must have a sample, and Visit must call the method named
// after the sample's body type.
func TestVisitReachesEveryKind(t *testing.T) {
	evs := eventtest.Every("r", "n")
	eventtest.CheckEvery(t, evs)
	for _, ev := range evs {
		if got, want := eventtest.KindName(ev), reflect.TypeOf(ev.Body).Name(); got != want {
			t.Errorf("Visit called %s for a %s", got, want)
		}
	}
}

// An event without a body is a bug of its sender; Visit says so rather than calling a method
// with a body it does not have.
func TestVisitPanicsWithoutBody(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Visit of an event without a body did not panic")
		}
	}()
	eventtest.KindName(hubbub.Event{Room: "r"})
}

func TestAppendedEntry(t *testing.T) {
	m := &hubbub.Entry{Seq: 3}
	if got := (hubbub.Event{Body: hubbub.EntryAppended{Entry: m}}).AppendedEntry(); got != m {
		t.Errorf("AppendedEntry of a message event = %v, want %v", got, m)
	}
	if got := (hubbub.Event{Body: hubbub.MemberJoined{Name: "a"}}).AppendedEntry(); got != nil {
		t.Errorf("AppendedEntry of a join = %v, want nil", got)
	}
}
