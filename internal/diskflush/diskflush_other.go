//go:build !linux

package diskflush

import "os"

// asyncState is empty where the kernel's asynchronous fsync is not used.
type asyncState struct{}

func openAsync() asyncState                    { return asyncState{} }
func (asyncState) ok() bool                    { return false }
func (asyncState) sync(*os.File) (bool, error) { return false, nil }
func (*asyncState) close() error               { return nil }
