package api

import (
	"net/http"

	"hubbub"
	"hubbub/internal/webhooks"
)

// The webhook endpoints (issue 18): an admin's outgoing webhooks, their dead letters and
// replays. The rules are webhooks.Admin's, shared with `hubbub webhook`.

// webhookReply is a webhook as the API shows it; the secret only when it was just made.
type webhookReply struct {
	Webhook apiWebhook `json:"webhook"`
}

// deliveriesReply is a page of a webhook's deliveries; Next, when not empty, is the after of
// the next page.
type deliveriesReply struct {
	Webhook    string        `json:"webhook"`
	State      string        `json:"state"`
	Deliveries []apiDelivery `json:"deliveries"`
	Next       string        `json:"next,omitempty"`
}

// replayRequest is the body of POST /api/webhooks/{id}/replay: the event ids of the dead
// deliveries to replay, none for all of them.
type replayRequest struct {
	IDs []string `json:"ids,omitempty"`
}

func (s *API) mountWebhooks(m *http.ServeMux) {
	m.Handle("POST /api/webhooks", s.withWebhooks(s.apiCreateWebhook))
	m.Handle("GET /api/webhooks", s.withWebhooks(s.apiWebhooks))
	m.Handle("GET /api/webhooks/{id}", s.withWebhooks(s.apiWebhook))
	m.Handle("PATCH /api/webhooks/{id}", s.withWebhooks(s.apiUpdateWebhook))
	m.Handle("DELETE /api/webhooks/{id}", s.withWebhooks(s.apiDeleteWebhook))
	m.Handle("POST /api/webhooks/{id}/rotate", s.withWebhooks(s.apiRotateWebhook))
	m.Handle("GET /api/webhooks/{id}/deliveries", s.withWebhooks(s.apiDeliveries))
	m.Handle("POST /api/webhooks/{id}/replay", s.withWebhooks(s.apiReplay))
}

// withWebhooks returns h, answered 404 instead when the server has no webhooks (a store
// without an outbox).
func (s *API) withWebhooks(h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Webhooks == nil {
			return apiErrorf(http.StatusNotFound, hubbub.ECodeNotFound, "this server has no webhooks")
		}
		return h(w, r)
	}
}

// apiCreateWebhook: POST /api/webhooks {url, rooms, events, paused?} → 201 with the secret.
func (s *API) apiCreateWebhook(w http.ResponseWriter, r *http.Request) error {
	var spec webhooks.Spec
	if err := readBody(w, r, &spec); err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	hook, err := s.cfg.Webhooks.Create(ctx, spec, "")
	if err != nil {
		return err
	}
	s.cfg.Logger.Info("api: webhook created", "webhook", hook.ID, "rooms", hook.Rooms, "events", hook.Events)
	writeJSON(w, http.StatusCreated, webhookReply{Webhook: newAPIWebhook(&hook)})
	return nil
}

// apiWebhooks: GET /api/webhooks — every webhook, without secrets.
func (s *API) apiWebhooks(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	list, err := s.cfg.Webhooks.List(ctx)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": mapped(list, newAPIWebhook)})
	return nil
}

// apiWebhook: GET /api/webhooks/{id}.
func (s *API) apiWebhook(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	hook, err := s.cfg.Webhooks.Get(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookReply{Webhook: newAPIWebhook(&hook)})
	return nil
}

// apiUpdateWebhook: PATCH /api/webhooks/{id} {url?, rooms?, events?, paused?}.
func (s *API) apiUpdateWebhook(w http.ResponseWriter, r *http.Request) error {
	var c webhooks.Change
	if err := readBody(w, r, &c); err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	hook, err := s.cfg.Webhooks.Update(ctx, r.PathValue("id"), c)
	if err != nil {
		return err
	}
	s.cfg.Logger.Info("api: webhook changed", "webhook", hook.ID, "paused", hook.Paused)
	writeJSON(w, http.StatusOK, webhookReply{Webhook: newAPIWebhook(&hook)})
	return nil
}

// apiDeleteWebhook: DELETE /api/webhooks/{id} — the webhook and its deliveries.
func (s *API) apiDeleteWebhook(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	id := r.PathValue("id")
	if err := s.cfg.Webhooks.Delete(ctx, id); err != nil {
		return err
	}
	s.cfg.Logger.Info("api: webhook deleted", "webhook", id)
	writeJSON(w, http.StatusOK, map[string]any{"deleted": id})
	return nil
}

// apiRotateWebhook: POST /api/webhooks/{id}/rotate — a fresh secret, shown once.
func (s *API) apiRotateWebhook(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	hook, err := s.cfg.Webhooks.Rotate(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.cfg.Logger.Info("api: webhook secret rotated", "webhook", hook.ID)
	writeJSON(w, http.StatusOK, webhookReply{Webhook: newAPIWebhook(&hook)})
	return nil
}

// apiDeliveries: GET /api/webhooks/{id}/deliveries?state=dead|pending&after=&limit=.
func (s *API) apiDeliveries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := queryLimit(q.Get("limit"))
	if err != nil {
		return err // 400 bad_request, as on every endpoint with a limit
	}
	// Past the largest page is the largest page, as on every endpoint with a limit.
	limit = min(limit, webhooks.MaxDeliveriesPage)
	state := hubbub.DeliveryState(q.Get("state"))
	if state == "" {
		state = hubbub.DeliveryDead
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	id := r.PathValue("id")
	list, err := s.cfg.Webhooks.Deliveries(ctx, id, state, q.Get("after"), limit)
	if err != nil {
		return err
	}
	reply := deliveriesReply{Webhook: id, State: string(state), Deliveries: mapped(list, newAPIDelivery)}
	page := limit
	if page == 0 {
		page = webhooks.DefaultDeliveriesPage
	}
	if len(list) == page {
		reply.Next = list[len(list)-1].Event.ID
	}
	writeJSON(w, http.StatusOK, reply)
	return nil
}

// apiReplay: POST /api/webhooks/{id}/replay {ids?} — dead deliveries pending again.
func (s *API) apiReplay(w http.ResponseWriter, r *http.Request) error {
	var req replayRequest
	if r.ContentLength != 0 {
		if err := readBody(w, r, &req); err != nil {
			return err
		}
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	id := r.PathValue("id")
	n, err := s.cfg.Webhooks.Replay(ctx, id, req.IDs)
	if err != nil {
		return err
	}
	s.cfg.Logger.Info("api: webhook deliveries replayed", "webhook", id, "replayed", n)
	writeJSON(w, http.StatusOK, map[string]any{"webhook": id, "replayed": n})
	return nil
}
