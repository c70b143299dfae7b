package servertest

import "hubbub"

// Broker returns the node's broker, for a test that runs a part of hubbub serve beside the
// server (the notifier of people who are away asks the nodes through it).
func (s *Server) Broker() hubbub.Broker { return s.broker }
