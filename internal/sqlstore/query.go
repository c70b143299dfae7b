package sqlstore

import (
	"strconv"
	"strings"

	"hubbub"
)

// Query is a statement that reads the same in both stores' schemas, written once with
// PostgreSQL's numbered placeholders ($1, $2, …); a store turns it into its own style (In):
// SQLite numbers its placeholders ?1, ?2, ….
type Query string

// In returns q with each placeholder $n written as mark(n).
func (q Query) In(mark func(n int) string) string {
	s := string(q)
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		b.WriteString(s[:i])
		if n, err := strconv.Atoi(s[i+1 : j]); err == nil {
			b.WriteString(mark(n))
		} else {
			b.WriteByte('$') // not a placeholder
		}
		s = s[j:]
	}
}

// OutboxSQL holds the statements of the outbox that read the same in both schemas, in one
// store's placeholder style (NewOutboxSQL).
type OutboxSQL struct {
	// NotifyLevel reads user ($2)'s level in room ($1); no row is NotifyMention.
	NotifyLevel string
	// WebhookExists asks whether webhook $1 exists.
	WebhookExists string
	// DeliveryPos reads the pos of webhook $1's delivery of event $2: a page's cursor.
	DeliveryPos string
	// DeleteDelivery removes webhook $1's delivery of event $2, which succeeded.
	DeleteDelivery string
	// DeleteWebhook removes webhook $1, and DeleteDeliveries its deliveries after it.
	DeleteWebhook, DeleteDeliveries string
	// UpdateWebhook writes the changeable fields of a webhook (UpdateWebhookArgs).
	UpdateWebhook string
	// SummaryFailed is SummarySQL.Failed: of webhook $1's deliveries with dead = $2, the one
	// that failed the most attempts, the oldest of those with as many.
	SummaryFailed string
}

// NewOutboxSQL returns the shared statements of the outbox with each placeholder $n written
// as mark(n).
func NewOutboxSQL(mark func(n int) string) OutboxSQL {
	return OutboxSQL{
		NotifyLevel:      Query(`SELECT level FROM notify_levels WHERE room = $1 AND user_id = $2`).In(mark),
		WebhookExists:    Query(`SELECT EXISTS (SELECT 1 FROM webhooks WHERE id = $1)`).In(mark),
		DeliveryPos:      Query(`SELECT pos FROM deliveries WHERE webhook = $1 AND event_id = $2`).In(mark),
		DeleteDelivery:   Query(`DELETE FROM deliveries WHERE webhook = $1 AND event_id = $2`).In(mark),
		DeleteWebhook:    Query(`DELETE FROM webhooks WHERE id = $1`).In(mark),
		DeleteDeliveries: Query(`DELETE FROM deliveries WHERE webhook = $1`).In(mark),
		UpdateWebhook:    Query(`UPDATE webhooks SET url = $1, rooms = $2, events = $3, secret = $4, paused = $5 WHERE id = $6`).In(mark),
		SummaryFailed: Query(`SELECT event_id, attempts, last_error FROM deliveries
			WHERE webhook = $1 AND dead = $2 AND attempts > 0 ORDER BY attempts DESC, pos LIMIT 1`).In(mark),
	}
}

// UpdateWebhookArgs are the arguments of OutboxSQL.UpdateWebhook that store w as webhook id.
func UpdateWebhookArgs(w hubbub.Webhook, id string) []any {
	return []any{w.URL, EncodeList(w.Rooms), EncodeList(w.Events), w.Secret, w.Paused, id}
}

// SetNotifyLevel returns the statement, and its arguments, that store user's notification
// level for room: the default (NotifyMention) is no row, any other level a row.
func SetNotifyLevel(user, room, level string) (Query, []any) {
	if level == hubbub.NotifyMention {
		return `DELETE FROM notify_levels WHERE room = $1 AND user_id = $2`, []any{room, user}
	}
	return `INSERT INTO notify_levels (room, user_id, level) VALUES ($1, $2, $3)
		ON CONFLICT (room, user_id) DO UPDATE SET level = $3`, []any{room, user, level}
}
