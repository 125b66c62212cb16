//go:build !unix

package source

import "os/exec"

// ownGroup leaves cmd as it is: without process groups, its cancel kills git only, and
// cmd.WaitDelay bounds the wait for pipes its children hold.
func ownGroup(*exec.Cmd) {}
