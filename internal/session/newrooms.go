package session

import (
	"context"
	"strconv"
	"time"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/metrics"
)

// A room comes into being when someone joins a name nobody used, creates a room, starts a
// direct message or writes the first message of a room; rooms are never deleted, and the
// store keeps at most --max-stored-rooms. Each connection's joins and sends are rate limited,
// but a script with a hundred connections (and as many guest names) filled the store's rooms
// in minutes, after which nobody could make a room or start a DM until the operator raised
// the cap; and keyless guests' joins of made-up names, which store nothing, held --max-rooms'
// rooms open in memory from four addresses. So new rooms are limited per user and per client
// address as well (--new-room-rate, --new-room-burst): the hub charges each room it is about
// to store, or to open with no entries, to the connection whose frame makes it
// (hub.WithNewRoomCharge). Server moderators and admins, and
// bots (made by an admin), are not limited; neither is the server API, whose callers hold the
// server's secret.

// The defaults of the limit on new rooms: sixty at once (a team setting up its rooms, a
// class starting its DMs), then one every five seconds, per user and per client address. The
// store's 100,000 rooms then take one address nearly six days to fill, not minutes.
const (
	DefaultNewRoomRate  = 0.2
	DefaultNewRoomBurst = 60
)

// writeContext is the context of the frames j's connection sends: after hello, one that
// charges the rooms they bring into being to j's user and address, unless those are exempt.
func (j *jsonSession) writeContext() context.Context {
	if j.newRoomCtx != nil {
		return j.newRoomCtx
	}
	return context.Background()
}

// chargeNewRooms sets the context writeContext returns, for the member hello made.
func (j *jsonSession) chargeNewRooms(m *hub.Member) {
	j.newRoomCtx = nil
	if j.svc.newRooms == nil || m.Bot || hubbub.CanModerate(j.svc.roleOf(m)) {
		return
	}
	user, addr := m.UserID, j.creds.Addr
	j.newRoomCtx = hub.WithNewRoomCharge(context.Background(), func() error {
		return j.svc.chargeNewRoom(user, addr, time.Now())
	})
}

// chargeNewRoom takes one new room from user's bucket and addr's, or says how long to wait.
func (s *Service) chargeNewRoom(user, addr string, now time.Time) error {
	return s.tooFast(s.newRooms.Allow(user, addr, now),
		"you are making new rooms too fast (at most %d at once, then %s, from one person or address): try again in %s",
		s.cfg.NewRoomBurst, s.cfg.NewRoomRate)
}

// tooFast is the rate_limited refusal of a bucket that asks to wait (nil when it does not):
// what (with %d, %s and %s for burst, rate and the wait), counted as a rate-limit drop.
func (s *Service) tooFast(wait time.Duration, what string, burst int, perSecond float64) error {
	if wait <= 0 {
		return nil
	}
	s.cfg.Metrics.Drop(metrics.DropRateLimit)
	return hubbub.RateLimited(wait, what, burst, rateText(perSecond), seconds(wait))
}

// rateText says perSecond for people: "one every 5s", "3 a second".
func rateText(perSecond float64) string {
	if perSecond >= 1 {
		return strconv.FormatFloat(perSecond, 'f', -1, 64) + " a second"
	}
	return "one every " + seconds(time.Duration(float64(time.Second)/perSecond))
}

// seconds is d in whole seconds, rounded up, at least one: a wait of 300 ms is "1s", not
// "0s".
func seconds(d time.Duration) string {
	return max(((d+time.Second-1)/time.Second)*time.Second, time.Second).String()
}
