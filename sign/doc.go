// Package sign signs container images the way cosign does, so that the cosign CLI (v2 and
// v3 with the legacy layout) and mcpverify verify them:
//
//   - Payload builds the simple-signing payload (critical.identity.docker-reference = the
//     image repository, critical.image.docker-manifest-digest, optional claims).
//   - Signer signs with a cosign-format encrypted key file or a KMS key.
//   - TLog (Rekor) records each signature (hashedrekord) and attestation (dsse) before
//     anything is pushed; the entry's bundle goes into the dev.sigstore.cosign/bundle
//     annotation.
//   - Store appends layers to <sigrepo>:sha256-<hex>.sig / .att (OCI manifest, config
//     application/vnd.oci.image.config.v1+json, one layer per signature), keeping every
//     earlier layer, and embeds small contents (<= MaxEmbeddedData) in the descriptor's OCI
//     "data" field as well as pushing the blob.
//   - Service ties these together idempotently, and Publisher runs a catalog through
//     build -> confirm the image -> sign -> attest with one report.
//
// # Registries are not trusted
//
// Every registry is treated as hostile or unreliable; what publish reports is derived only
// from what it reads back.
//
//   - Only an HTTP 404 status proves a tag or image absent. Any other failure, whatever
//     error code its body names (MANIFEST_UNKNOWN in a 500, say), means "could not check":
//     the server fails (a 5xx or network fault is exit 3 in the CLI) and the tag is not
//     written. Manifests read are hashed here; the digest a registry claims is never used.
//   - A tag believed absent is asked again at once (a lagging replica answers 404 for a
//     tag that exists, then the truth), and every tag is read again right before it is
//     written, after signing and logging; what that read shows is merged in.
//   - After each push the tag is read back: it must list every layer seen in those reads
//     (other keys' signatures, cosign's co-signatures) plus ours, compared by media type,
//     digest, size and annotations. Missing layers are pushed again, their descriptors
//     verbatim (their blobs are in the repository), on top of what the registry now
//     serves, up to 3 pushes; if they stay missing Attach returns a *LostLayersError
//     naming their digests (errors.Is ErrNotPersisted) and the server is reported failed.
//   - Before signing, Publisher reads the image the build pushed at its digest (hashed),
//     checks that it is an image manifest whose revision label is the pin and that the
//     job's tag resolves to that digest; otherwise (ErrImageNotStored: a registry that
//     answered 201 and kept nothing) the server fails and nothing is signed or logged.
//     Reads that do not yet show a write are repeated twice, after 100 and 300 ms.
//
// The package never imports build/ or BuildKit (mcpverify links it) and never reads the
// environment; libraries log only through an injected *slog.Logger.
//
// # Concurrent writers
//
// Appending a signature is read-modify-write of one tag: read the manifest, add a layer,
// push the new manifest under the same tag. Within one process Store serializes writes per
// tag, so parallel publishes of servers that share a digest cannot lose each other's layers.
// Across processes there is no lock: the registry API has no compare-and-swap on tags (no
// If-Match on manifest PUT). When another process's push replaces ours before our
// read-back, the read-back lacks our layer and Store pushes again what it now reads plus
// ours, so both survive. What no reader can prevent: a layer another process pushes between
// our last read and our push is overwritten by it, unseen; a writer that reads back (this
// package) then re-adds its layer, cosign (which does not read back) loses it, as it would
// against another cosign. What this package guarantees is that it never reports success
// for a signature that is not there and never drops a layer it has seen without failing:
// the caller reports that server as failed and a re-run attaches it again. Operators who
// sign from several places should serialize signing per image (one release job), as with
// cosign.
package sign
