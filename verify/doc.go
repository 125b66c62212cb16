// Package verify decides whether a container image was built from a pinned commit and
// signed, logged and attested as mcpbuild publishes it (cosign-compatible layout).
//
// A Verifier is built once with the trusted keys (New refuses a configuration without a
// signing key and a transparency-log policy) and then answers Verify for any number of
// images. The answer is a Verdict: a versioned, JSON-stable record of every check
// (digest, signature, tlog, label, signed-revision, provenance). A returned error means
// the verifier could not decide (registry or Rekor unreachable, 5xx, 429, timeout): it
// is an *Indeterminate and is never reported as "unsigned". A decided "no" is a Verdict
// with Verified false; Verdict.Err turns it into a *Failure for callers that want an error.
//
// Registry reads are few and by digest: the tag is resolved once, then the image config,
// the signatures manifest (<sigrepo>:sha256-<hex>.sig) and, when wanted, the attestations
// manifest are read in parallel. Signature payloads embedded in the layer descriptors'
// OCI "data" field are used without a blob request (their digest is checked).
//
// Library code logs only through the logger given with WithLogger and reads no
// environment variables.
package verify
