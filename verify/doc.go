// Package verify decides whether a container image was built from a pinned commit and
// signed, logged and attested as mcpbuild publishes it (cosign-compatible layout).
//
// A Verifier is built once with the trusted keys (New refuses a configuration without a
// signing key and a transparency-log policy) and then answers Verify for any number of
// images. The answer is a Verdict, always (never nil, whatever the error): a versioned,
// JSON-stable record of every check (digest, signature, tlog, label, signed-revision,
// provenance), so a caller prints or stores the Verdict and builds none of its own. A
// decided "no" is a Verdict with Verified false and a nil error; Verdict.Err turns it
// into a *Failure for callers that want an error. An *Indeterminate error means the
// verifier could not decide (registry or Rekor unreachable, any status but 200 and 404, a
// request's timeout, the registry serving content that is not what was asked for, see
// below; ctx's deadline or cancel, with context.Cause(ctx) as the reason; a panic): it is
// never reported as "unsigned", and the Verdict has Indeterminate set and names why. An
// *InputError means Verify was given a nil reference, an invalid Policy or a digest of
// an algorithm it cannot hash: nothing was read, and the Verdict is neither verified nor
// indeterminate. Image is the one-call form for gateways.
//
// A PolicyVerifier (NewPolicyVerifier) answers for several publishers (TrustPolicy): the
// one whose image patterns cover an image most specifically (ImagePattern) gives the
// keys, log, signatures repository and requirements, and a verified Verdict names it and
// its TrustLevel (any other names it in its Reason only); an image none covers is not
// verified. Patterns and images are matched in one canonical spelling of the registry; a
// reference without one is an InputError. WithTrustedRoot trusts the Rekor keys
// of a Sigstore trusted_root.json (ParseTrustedRoot), each within its validity period.
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
// Every registry is hostile. Each manifest and blob is read by one GET of our own
// (internal/ocireg, which mcpbuild publish reads with too; no library check is relied
// on), bounded, and hashed here before any use: content read by
// digest (an image by digest, an index's platform manifest, the config, the blobs and
// embedded "data" the .sig and .att layers name, referrers, bundles) must hash to that
// digest and have its descriptor's size; a tag's digest is the hash of the bytes of its
// one GET, and the verdict reports that digest (or the one asked for): a
// Docker-Content-Digest header naming another sha256 digest is refused. (With a cache, a
// HEAD's header chooses the digest whose content is read, see Cache.)
// A manifest must be of a media type the read expects (an image reference: OCI or Docker
// schema2 manifest or index; .sig and .att: an image manifest; the referrers tag: an OCI
// index; a referrer: an OCI manifest), named by its Content-Type and by the body's
// mediaType when present (required for Docker's), with schemaVersion 2, and valid JSON
// of that kind; Docker schema1 (whose digest is not the hash of its bytes) and anything
// else is refused. A blob's Content-Type is not looked
// at: its digest decides what it is.
//
// What decides what: only a 404 proves absence (of the image, or of its .sig, .att or
// referrers; a 404 for content a manifest names is lost data). Content that is not a
// valid object of the expected media type, digest and size (bytes of another object, an
// HTML error page, a refused media type, more than the limit, a truncated body) is the
// registry failing: could not check (mcpverify exit 3), naming what was wrong. A definite
// "no" (exit 1) is a proven absence or proven content failing a check: a signature that
// does not verify with the key (cosign's "no matching signatures") or names another
// digest or repository, a log entry that does not verify, a label, claim or provenance
// that is not the pin, an index without the platform, a blob that hashes right but is
// no config (it is what was published; an envelope or bundle that is none is no
// attestation by the key, see Co-signers). The .sig and .att manifests
// are not themselves signed: a registry can always make an image "not verified" by
// serving other valid ones, but never make it verified.
//
// What is read, and how few times: the tag is resolved once to a digest and every other
// read is by digest. Then the image config, the signatures manifest
// (<sigrepo>:sha256-<hex>.sig) and, unless skipped, the attestations manifest (.att) are
// read in parallel: 3 (or 4) requests in 2 sequential round trips when the signature
// payloads are embedded in the layer descriptors' OCI "data" field, as mcpbuild publish
// writes them (their digest is checked). A payload only stored as a blob (the cosign
// CLI's) is not read either when it is one the pin predicts: the simple-signing payload
// for this digest and repository without claims, with the revision claim, or with the
// revision and source claims, byte for byte as cosign marshals it (sign.Payload). It is
// used only when it hashes to the layer's digest and has its size, so it is the blob's
// content, and its signature is verified over it as over any payload; any other payload
// is read (one blob read more). Stats counts requests (GETs of manifests and of blobs,
// HEADs apart) and round trips, and keeps the registry's rate-limit headers.
//
// Cache (WithCache; mcpverify's default, under the user's cache directory): what is read
// by digest (manifests, configs, payloads, envelopes, bundles) is kept in a Cache,
// content-addressed (<dir>/sha256/<hex>, never by tag; written atomically, 0600 files in
// 0700 directories, at most 8 MiB an entry, least recently used entries evicted past the
// total bound), and hashed again on every read: an entry that does not hash to its name
// is deleted and the content read from the registry again. With a cache, an image's tag
// without a hint (below) is read with one GET, as without a cache: its digest is the hash
// of the bytes (the Docker-Content-Digest header is never trusted), and they are cached
// under it. The other tags (a hinted image's, the .sig, .att and referrers tags of an
// image the cache held) are resolved with a HEAD, whose
// Docker-Content-Digest picks the cache entry, else the digest to GET by; a HEAD without
// a sha256 digest falls back to one GET of the tag (its digest is the hash of the bytes,
// as without a cache), a 404 proves absence as a GET's does, any other answer is could
// not check, and so is a digest the HEAD names that the registry then does not serve. A
// .sig or .att manifest is read again exactly when its tag's digest changed: the tag's
// last digest needs no index of its own, since the digest-keyed entry is that index. An
// image new to the cache costs what it costs without one: 2 round trips (its tag's GET,
// then the config and its .sig and .att, new too, by GET at once). Tag hints: the
// digest an image's tag last resolved to is kept beside the entries (<dir>/tags/<sha256
// of the tag's name>, "sha256:<hex>\n", read at most 128 bytes; anything else is no hint),
// and the next verification of the tag sends the tag's HEAD and, in parallel, the HEADs of
// the hinted digest's .sig and .att tags. When the tag's HEAD names the hinted digest,
// those answers are what the round trip after it would have asked (the same tags of the
// same digest) and are used as any HEAD's (the cache entry they pick is hashed again, or
// a GET by that digest): an unchanged image costs 3 HEADs in 1 round trip and no GET.
// When it names another digest, they are dropped unused and that digest's .sig and .att
// are read as without a hint. The hint chooses what is asked, never what is believed:
// every check applies to the digest the tag's HEAD returned now, so a wrong or planted
// hint costs at most two HEADs, and a corrupt one is no hint. The header is a
// claim, not a proof, and gives a registry no power it lacks: for a tag, a registry can
// already serve any manifest it likes to a GET, and the verdict names the digest it
// resolved to (here, the HEAD's) and checks everything against that digest. What the
// cache returns for it is genuine content of that digest (it hashes to it), used exactly
// as a GET's answer (media type, descriptor size, budget; signature, log entry, label,
// provenance of that digest). A lying HEAD can at worst cost a GET, or point the tag at
// another image, which then has to be signed for this repository and pin. Log entries
// are not cached as verified: a bundle is cached as bytes and verified offline again
// (cheap), so the cache holds no verdict.
//
// Formats: cosign's legacy layout (simple-signing payload, signature and Rekor bundle
// annotations; the bundle's SET is verified offline with cosign's VerifyBundle against
// the log key, and its body must match this signature, payload hash and key), and cosign
// v3's default Sigstore bundles (v0.3, DSSE in-toto statements) stored as OCI referrers
// and found through the referrers fallback tag sha256-<hex>, verified with sigstore-go
// against the key and a trusted root made of the Rekor key. Provenance is a SLSA v1
// in-toto statement in either format.
//
// Multi-platform indexes: the signature and its log entry are checked on the digest the
// reference resolves to (the index digest, which is what cosign signs for an index).
// Then every platform image of the index (BuildKit's attestation manifests skipped, at
// most MaxPlatforms, else could not check) or only Policy.Platform's (or WithPlatform's)
// is read by the digest the index names, in parallel (one round trip more), and each
// one's config must carry the pinned revision label; the provenance must be one
// statement about the index whose subjects also name the manifest of every platform
// checked (as mcpbuild attests an index, see package build). A failure names the
// platform ("label: linux/arm64: ..."; "provenance ... does not cover platform
// linux/arm64"). An index without the platform asked for, or with an entry without a
// platform, is a definite "no"; a single image whose config is not of the platform asked
// for too.
//
// Hostile registries: a manifest is read up to 4 MiB, a signature payload up to 1 MiB,
// a config up to 8 MiB, a DSSE envelope or Sigstore bundle up to MaxEnvelopeBytes (4
// MiB), and a blob never past the size its descriptor declares (a declared size over a
// limit is refused before any read); any JSON document from the registry has at most
// MaxJSONValues (16384) values (a 4 MiB manifest of empty layers would decode into 190
// MiB); at most 32 signatures, attestations or referrers per image are examined. A
// panic (in a library parsing hostile content) ends that verification as indeterminate.
// Verify has no timeout of its own: pass a ctx with a deadline.
//
// Memory: one verification reads and decodes at most MaxImageBytes (32 MiB): every
// response body read from the registry, plus what decoding it costs (the document again,
// 160 bytes per JSON value, base64 copies); real signatures and provenance take a few to
// tens of KiB. Both are charged before they are held: a declared size before the read, a
// manifest's decoding (for the most its body can be, settled to its JSON values once
// read) before its body is read, into a buffer of the declared size, decoded once (and
// its raw bytes dropped). Attestations and bundles are read and checked one at a time,
// each dropped before the next, signatures and referrer manifests four at a time, and the
// first valid answer (a signature whose log entry verifies, a provenance that passes)
// ends the reading; the image manifest and configs are dropped once checked. Items over 1
// MiB (envelopes, bundles, manifests, configs) are read and decoded at most two at a time
// per Verifier, across its verifications. What a verification holds is held until its
// verdict, so the Verifier bounds that too: one about to hold more than 1 MiB, or to take
// what its other verifications hold past 32 MiB, first takes one of two heavy-image slots
// and keeps it until its verdict; waiting for one holds no response, and ctx's end ends
// the wait (indeterminate). A Verifier's verifications then hold at most two budgets plus
// 32 MiB however many run at once, and ordinary ones never wait. A PolicyVerifier's
// Verifiers share these bounds. Past the budget or a limit, or with more entries listed
// than are examined and none of those verifying, the verification stops reading and is
// indeterminate: the registry failed to serve something checkable, and what was not read
// might have been the answer. mcpverify on images whose every read is at its limit
// (config, image, .sig and .att manifests) peaks at about 115 MiB of RSS at -j 8 and with
// its defaults, and 140 MiB at -j 64 --jobs-per-registry 64 (the goal is 256 MiB:
// cmd/mcpverify TestHostileContentMemory, TestHostileContentMemoryAtScale).
//
// Library code logs only through the logger given with WithLogger and reads no
// environment variables.
package verify
