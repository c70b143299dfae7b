// Package notify tells people who are away what they missed (issue 18): on the node that holds
// the "notify" lease, every batch period it takes the store's notify candidates (messages that
// mention a user, DMs, and every message of rooms a user follows with NotifyAll), keeps the
// users who have no live connection on any node at that moment (Presence), and writes one
// notification event per user to the outbox (hubbub.OutboxStore.EnqueueEvent), which the
// webhook dispatcher posts to the webhooks that follow hubbub.HookNotification. A user who is
// connected gets nothing: they saw it.
package notify
