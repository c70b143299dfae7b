package api

import (
	"net/http"

	"hubbub"
	"hubbub/internal/commands"
)

// The admin API of slash commands (docs/api.md, "Slash commands"): register, list, delete and
// rotate the secret. A command's secret is shown when it is created or rotated, never again.

// commandsRoutes adds the routes of slash commands to m.
func (s *API) commandsRoutes(m *http.ServeMux) {
	m.Handle("GET /api/commands", apiHandler(s.apiCommands))
	m.Handle("POST /api/commands", apiHandler(s.apiAddCommand))
	m.Handle("GET /api/commands/{name}", apiHandler(s.apiCommand))
	m.Handle("DELETE /api/commands/{name}", apiHandler(s.apiDeleteCommand))
	m.Handle("POST /api/commands/{name}/rotate", apiHandler(s.apiRotateCommand))
}

// commandsOff answers when the server runs no commands (an API made without a runner).
func (s *API) commandsOff() error {
	return apiErrorf(http.StatusNotFound, hubbub.ECodeNotFound, "this server runs no slash commands")
}

func (s *API) apiCommands(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	list, err := commands.List(ctx, s.hub.Store())
	if err != nil {
		return s.storeFailed("list commands", err)
	}
	if list == nil {
		list = []commands.Registered{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"commands": mapped(list, newAPICommand)})
	return nil
}

func (s *API) apiCommand(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	list, err := commands.List(ctx, s.hub.Store())
	if err != nil {
		return s.storeFailed("read a command", err)
	}
	for _, c := range list {
		if c.Name == r.PathValue("name") {
			writeJSON(w, http.StatusOK, newAPICommand(&c))
			return nil
		}
	}
	return hubbub.Errorf(hubbub.ECodeNotFound, "there is no command /%s", r.PathValue("name"))
}

func (s *API) apiAddCommand(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Commands == nil {
		return s.commandsOff()
	}
	var req commands.AddRequest
	if err := readBody(w, r, &req); err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	c, err := commands.Add(ctx, s.hub.Store(), s.cfg.Commands.CheckURL, req)
	if err != nil {
		return s.storeFailed("add a command", err)
	}
	s.cfg.Logger.Info("api: command added", "command", c.Name, "bot", c.BotName)
	writeJSON(w, http.StatusCreated, newAPICommand(&c))
	return nil
}

func (s *API) apiDeleteCommand(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	if err := s.hub.Store().DeleteCommand(ctx, r.PathValue("name")); err != nil {
		return s.storeFailed("delete a command", err)
	}
	s.cfg.Logger.Info("api: command deleted", "command", r.PathValue("name"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *API) apiRotateCommand(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	c, err := commands.Rotate(ctx, s.hub.Store(), r.PathValue("name"))
	if err != nil {
		return s.storeFailed("rotate a command's secret", err)
	}
	s.cfg.Logger.Info("api: command secret rotated", "command", c.Name)
	writeJSON(w, http.StatusOK, newAPICommand(&c))
	return nil
}
