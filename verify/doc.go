// Package verify decides whether a container image was built from a pinned commit and
// signed, logged and attested as mcpbuild publishes it (cosign-compatible layout).
//
// A Verifier is built once with the trusted keys (New refuses a configuration without a
// signing key and a transparency-log policy) and then answers Verify for any number of
// images. The answer is a Verdict: a versioned, JSON-stable record of every check
// (digest, signature, tlog, label, signed-revision, provenance). A returned error means
// the verifier could not decide (registry or Rekor unreachable, 5xx, 429, timeout): it
// is an *Indeterminate and is never reported as "unsigned" (the Verdict then has
// Indeterminate set and shows which check errored). A decided "no" is a Verdict with
// Verified false; Verdict.Err turns it into a *Failure for callers that want an error.
// Image is the one-call form for gateways.
//
// The pin (catalog.Pin) is compared whole: the label and the signed revision claim with
// Commit; the provenance's build context (externalParameters.configSource, required) must
// be Project (or its mirror) at Commit in Directory ("" is the repository root), and every
// other git source naming Project must be at Commit. A Pin without Project (a bare
// commit) compares the build context and the sources by commit only. docker-reference
// and statement subject names are compared as repositories (docker.io is
// index.docker.io; a tag in the name is ignored; no registry is implied). Provenance stored in the signature's format (.att for a
// legacy signature, a bundle referrer for a cosign v3 one; both with ProvenanceRequired)
// is always verified; only ProvenanceRequired makes a missing one fail, so gateways
// should require it. Unlike cosign's legacy payload, a cosign v3 signature statement
// names no repository: such a signature binds the digest, not the repository.
//
// Co-signers: only what the key signed counts. As a signature by another key is not this
// key's signature, an attestation (DSSE envelope or bundle) that does not verify with the
// key is another party's, whatever it claims, and is ignored: with a co-signer's key
// (cosign verify --key passes) the publisher's provenance is not the co-signer's, and
// provenance is skipped ("no provenance by this key"), or fails with that reason under
// ProvenanceRequired. An attestation by the key that is wrong still fails.
//
// What is read, and how few times: the tag is resolved once to a digest and every other
// read is by digest. Then the image config, the signatures manifest
// (<sigrepo>:sha256-<hex>.sig) and, unless skipped, the attestations manifest (.att) are
// read in parallel: 3 (or 4) requests in 2 sequential round trips when the signature
// payloads are embedded in the layer descriptors' OCI "data" field, as mcpbuild publish
// writes them (their digest is checked); cosign-made signatures cost one blob read more.
// Stats counts requests and round trips.
//
// Formats: cosign's legacy layout (simple-signing payload, signature and Rekor bundle
// annotations; the bundle's SET is verified offline with cosign's VerifyBundle against
// the log key, and its body must match this signature, payload hash and key), and cosign
// v3's default Sigstore bundles (v0.3, DSSE in-toto statements) stored as OCI referrers
// and found through the referrers fallback tag sha256-<hex>, verified with sigstore-go
// against the key and a trusted root made of the Rekor key. Provenance is a SLSA v1
// in-toto statement in either format.
//
// Multi-platform indexes: signatures and provenance are checked on the digest the
// reference resolves to (the index digest, which is what cosign signs for an index); the
// revision label is read from the image config of one platform (WithPlatform, default
// linux/amd64), one more round trip.
//
// Hostile registries: a manifest is read up to 4 MiB, a signature payload up to 1 MiB,
// a config up to 8 MiB, a DSSE envelope or Sigstore bundle up to MaxEnvelopeBytes (4
// MiB), any JSON document from the registry up to MaxJSONValues (16384) values (a 4 MiB
// manifest of empty layers would decode into 190 MiB); at most 32 signatures,
// attestations or referrers per image are examined. A declared size over a limit is
// refused before any read. A panic (in a library parsing hostile content) ends that
// verification as indeterminate. Verify has no timeout of its own: pass a ctx with a
// deadline.
//
// Memory: one verification reads and decodes at most MaxImageBytes (32 MiB): every
// response body read from the registry, plus what decoding it costs (the document again,
// 160 bytes per JSON value, base64 copies); real signatures and provenance take a few to
// tens of KiB. Attestations and bundles are read and checked one at a time, each dropped
// before the next, signatures and referrer manifests four at a time, and the first valid
// answer (a signature whose log entry verifies, a provenance that passes) ends the
// reading. Items over 1 MiB are read and decoded at most two at a time per Verifier,
// across its verifications. Past the budget or a limit, or with more entries listed than
// are examined and none of those verifying, the verification stops reading and is
// indeterminate: the registry failed to serve something checkable, and what was not read
// might have been the answer. mcpverify -j 8 on 8 images whose .att holds 32 envelopes
// of 8 MiB, or at the limit, peaks at about 30 or 90 MiB of RSS (the goal is 256 MiB:
// cmd/mcpverify TestHostileContentMemory).
//
// Library code logs only through the logger given with WithLogger and reads no
// environment variables.
package verify
