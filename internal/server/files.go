package server

import (
	"context"
	"sync"

	"hubbub"
	"hubbub/internal/files"
)

// mountFiles turns on the files endpoints and starts their collector, when the server has
// Blobs; the collector ends with Shutdown or Abort.
func (s *Server) mountFiles(store hubbub.Store) error {
	s.stopCollector = func() {}
	if s.cfg.Files.Blobs == nil {
		return nil
	}
	fcfg := s.cfg.Files
	fcfg.Store, fcfg.Users, fcfg.Sessions, fcfg.Logger, fcfg.Metrics = store, store, s.sessions, s.cfg.Logger, s.cfg.Metrics
	fcfg.CheckOrigin, fcfg.BaseURL = s.origins.allows, s.cfg.FilesURL
	fcfg.Secure = s.secure
	var err error
	if s.files, err = files.New(fcfg); err != nil {
		return err
	}
	s.files.Mount(s.mux)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.files.Collect(ctx) })
	var once sync.Once
	s.stopCollector = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
		})
	}
	return nil
}

// Files is the server's files service (nil when files are off), for tests that run its
// collector by hand.
func (s *Server) Files() *files.Service { return s.files }
