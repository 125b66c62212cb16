// Package roundtrip holds only tests: what sign.Service writes, verify.Verifier accepts,
// with no stack. An image pushed to go-containerregistry's in-memory registry is signed
// and attested by sign.Service with a transparency log in memory (memlog_test.go: entries
// canonicalized by Rekor's own entry types, SETs by a test log key), then verified; and a
// tampered case is a definite "not verified". The e2e tests run the same round trip
// against the real stack (BuildKit, distribution, Rekor).
//
// It is a package of its own: the round trip spans sign and verify and belongs to neither.
package roundtrip
