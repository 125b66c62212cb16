// Package sign signs container images the way cosign does, so that the cosign CLI (v2 and
// v3 with the legacy layout) and mcpverify verify them:
//
//   - Payload builds the simple-signing payload (critical.identity.docker-reference = the
//     image repository, critical.image.docker-manifest-digest, optional claims).
//   - Signer signs with a cosign-format encrypted key file or a KMS key.
//   - TLog (Rekor) records each signature (hashedrekord) and attestation (dsse) before it is
//     attached; the entry's bundle goes into the dev.sigstore.cosign/bundle annotation.
//   - Store appends layers to <sigrepo>:sha256-<hex>.sig / .att (OCI manifest, config
//     application/vnd.oci.image.config.v1+json, one layer per signature), keeping every
//     earlier layer, and embeds small contents (<= MaxEmbeddedData) in the descriptor's OCI
//     "data" field as well as pushing the blob.
//   - Service ties these together idempotently, and Publisher runs a catalog through
//     build -> sign -> attest with one report.
//
// # Killed runs and the transparency log
//
// A run can be killed at any instruction, and a log entry cannot be taken back. Before
// uploading, Store.Attach stages the new signature or attestation in its tag: the blob is
// pushed, and the manifest (layers unchanged) names it in the PendingAnnotation. Only then
// is it uploaded, and then appended as a layer (dropping the annotation). A re-run after a
// kill finds the staged record, checks it like any layer (this key, this payload or this
// image, content matching its digest) and uploads the same bytes again, so the log answers
// with the entry it already holds (Rekor: 409) instead of recording a second one; this
// holds for randomized ECDSA and KMS signatures, and for attestations although every build
// produces another provenance statement (the staged one is kept). Rekor's search index is
// not needed (it is written asynchronously, and never for an upload whose client went away
// after Trillian queued the leaf, so it cannot prove that no entry exists).
//
// Limits: a staged record only ever holds one pending item per tag (two signers staging
// into one tag at once replace each other's, as with the concurrent-writer race below); a
// registry that loses the staged manifest or blob makes the re-run sign anew, and the
// earlier entry stays in the log unused. A staged blob that cannot be read (other than
// 404) fails the run: signing anew might log a duplicate, failing leaves it to a re-run.
// While a record is staged for a first signature the .sig tag has no layers: verifiers
// report the image unsigned, as before the run.
//
// The package never imports build/ or BuildKit (mcpverify links it) and never reads the
// environment; libraries log only through an injected *slog.Logger.
//
// # Concurrent writers
//
// Appending a signature is read-modify-write of one tag: read the manifest, add a layer,
// push the new manifest under the same tag. Within one process Store serializes writes per
// tag, so parallel publishes of servers that share a digest cannot lose each other's layers.
// Across processes there is no protection: the registry API has no compare-and-swap on tags
// (no If-Match on manifest PUT), so two processes that sign the same digest at the same
// instant can both read manifest M, each push M+own layer, and the later push wins; the
// earlier signature then exists in the transparency log but not in the registry. cosign has
// the same race. What this package guarantees is that it never reports success for a
// signature that is not there: after each push Store reads the tag back and fails with
// ErrNotPersisted when its layer is missing, so the caller reports that server as failed and
// a re-run attaches it again. Operators who sign from several places should serialize
// signing per image (one release job), as with cosign.
package sign
