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
//   - Service ties these together idempotently: SignImage, Attest, and FindSignature /
//     FindAttestation to tell whether an image already carries them.
//
// Running a catalog through check -> build -> confirm the image -> sign -> attest is
// package publish's; this package signs what it is given and never builds.
//
// # Registries are not trusted
//
// Every registry is treated as hostile or unreliable; what this package (and publish,
// through it) reports is derived only from what it reads back.
//
//   - Every read is this package's own, by the code mcpverify reads with
//     (internal/ocireg): one GET over the authenticated transport (Store.WithReads; publish
//     reads images through Store.ReadManifest and Store.ReadConfig), never through go-containerregistry's remote package, which only
//     PUTs manifests and pushes again other parties' layers (asking HEAD whether their blobs exist). A manifest (the .sig and .att tags, the image by tag and by
//     digest) is read up to 4 MiB and 16384 JSON values, counted while it is read (a
//     Content-Length over the limit is refused before the body); it must be of a media
//     type asked for (OCI or Docker schema2: an image manifest for the tags, also an index
//     for the image, which is then rebuilt or refused) and a valid manifest of it, so
//     Docker schema1, an HTML page or any other type is refused. Its digest is the sha256
//     of the bytes read, and must be the one asked for when read by digest; a
//     Docker-Content-Digest header naming another sha256 digest is refused, and is never
//     used otherwise. A config is read up to 8 MiB, a layer's content (its embedded data,
//     else its blob: staged records, attestations, layers pushed again) up to 16 MiB,
//     never past the size its descriptor declares (a larger declared size is refused
//     before any request), and must hash to the descriptor's digest and have its size; a
//     config, payload or envelope decoded has at most 16384 JSON values. So what one
//     server's publish holds from a registry is bounded, whatever the registry serves: a
//     few manifests of at most 4 MiB, items of at most 16 MiB.
//   - Only an HTTP 404 status proves a tag, image or blob absent, and a 404 is asked again
//     at once (a lagging replica answers 404 for what exists, then the truth) before
//     anything is written on it: Attach's first read of a tag is the one exception (it
//     only decides whether to sign; the read before staging or writing asks again). Any other
//     failure, whatever error code its body names (MANIFEST_UNKNOWN in a 500, say), and
//     any content refused above (an *ocireg.Error), means "could not check": the server
//     fails (exit 3 in the CLI) and the tag is not written.
//   - Every write of a .sig/.att tag starts from a read made right before it, and what
//     that read shows is merged in: the pushed manifest is the one the registry served plus
//     every layer seen in any earlier read of the tag that it lacks.
//   - After each push the tag is read back: it must list every layer seen in those reads
//     (other keys' signatures, cosign's co-signatures), compared by media type, digest,
//     size and annotations, plus what the write added. A read-back that does not show it
//     yet is repeated after 100 and 300 ms; layers still missing are pushed again, their
//     descriptors verbatim (their blobs are in the repository), on top of what the
//     registry now serves, up to 3 pushes per write; if they stay missing Attach returns a
//     *LostLayersError naming their digests (errors.Is ErrNotPersisted) and the server is
//     reported failed.
//   - Before signing, publish reads the image the build pushed back through the Store
//     (see package publish: ErrImageNotStored).
//
// # Attaching, and killed runs
//
// A run can be killed at any instruction, and a log entry cannot be taken back; a re-run
// must converge without a second entry. So Store.Attach writes a .sig/.att tag twice for a
// new item, both writes following the rules above:
//
//  1. Read the tag. If it holds an equivalent layer by this key (the same payload, or an
//     attestation of the same predicate type about the image, with an entry of this log),
//     that is reused: nothing is signed, logged or written.
//  2. Stage. A record an interrupted run staged (PendingAnnotation) is checked like any
//     layer (this key, this payload or this image, content matching its digest) and, when
//     it passes, taken as it is. Otherwise the item is signed anew, its blob pushed (and
//     read back when too large to embed), the tag read again (a record staged meanwhile
//     that passes is taken instead, the new signature dropped) and written with the new
//     item in its PendingAnnotation: not a layer, so verifiers do not see it. The
//     read-back must carry that record and every layer seen; nothing is logged otherwise
//     (a *LostLayersError with Staging set).
//  3. Log. The staged bytes are uploaded; a log that already holds them answers with the
//     existing entry (Rekor: 409 Conflict), which is reused.
//  4. Attach. The tag is read again and written with the logged layer appended and our
//     staged record dropped (a record staging anything else is another run's, and kept);
//     the read-back must list it and every layer seen.
//
// A kill therefore leaves nothing, a staged record, or the attached layer, and a re-run
// uploads the staged bytes again rather than new ones; this holds for randomized ECDSA and
// KMS signatures, and for attestations although every build produces another provenance
// statement (the staged one is kept). Rekor's search index is not needed (it is written
// asynchronously, and never for an upload whose client went away after Trillian queued the
// leaf, so it cannot prove that no entry exists). A staged blob that cannot be read (other
// than 404) fails the run: signing anew might log a duplicate, failing leaves it to a
// re-run. While a record is staged for a first signature the .sig tag has no layers:
// verifiers report the image unsigned, as before the run.
//
// Limits: a tag holds one staged record; a run staging into a tag replaces a record
// another run staged there (whose re-run then signs anew). A registry that loses the
// staged manifest or blob after its read-back (404 twice) makes the re-run sign anew, and
// the earlier entry stays in the log unused.
//
// # Requests
//
// Signing or attesting an image that has neither (a first publish) makes 12 registry
// requests per item (TestFirstSignatureRequests pins them, publish's TestPublishRequests
// the whole server): six GETs of the tag (the first look; before staging, a 404 asked
// again; the staging read-back; before writing; the final read-back), the payload's
// blob (POST, PUT), the staging manifest (PUT), the final config (POST, PUT) and manifest
// (PUT). Once per Store: three pings (authenticated transports for reads, for blob
// pushes, and the go-containerregistry Pusher's for manifests) and the empty signatures
// config. What is not asked, and why that weakens nothing above:
//
//   - No ping per write: each transport is made once per repository.
//   - No HEAD of a blob before pushing it, and no PATCH: what this package makes
//     (payloads, envelopes, configs) is pushed by internal/ocireg's PushBlob, a POST
//     asking the registry to mount the blob from the signatures repository itself (one
//     that holds it answers 201 and nothing is sent), else one PUT of the bytes. A blob
//     the registry only said it holds (that 201, or an upload location on another host;
//     redirects are not followed) is read back and hashed before it counts as pushed, so a
//     registry claiming every blob cannot get a signature cosign cannot fetch (it costs a
//     GET only when a blob is already there). A blob the Store pushed is not pushed again in its life (our payload
//     staged, then listed by the final write; the empty config). Layers of other parties
//     pushed again go through the Pusher, which asks HEAD first, as before. A registry's
//     word that it holds a blob was never what made a write succeed: a blob that must be
//     readable is read back (blobBack), and embedded items are read back with the
//     manifest.
//   - No HEAD of the tag before a PUT (remote.Write asks it to skip PUTting a manifest the
//     tag already holds): every write of Attach changes the manifest, and the read-back
//     says what the registry holds.
//   - No GET of the config Attach appends to when it pushed that config itself, earlier in
//     the same Attach (the staging manifest's): a config is content-addressed, and bytes
//     hashing to its digest with its size are it, whoever holds them.
//   - No second GET after a 404 at the first look: that read decides only whether to sign.
//     Nothing is staged, logged or written before the look before staging (or before
//     writing, without a log), which asks a 404 again, so as many reads as before precede
//     every write, and a replica that lags for two reads still shows the truth before the
//     staging push. A first look misled by a lagging replica costs a signature and a blob
//     nobody uses.
//
// The look before writing (after the log upload, which may take seconds, a concurrent
// writer's window) and every read-back are kept.
//
// The package never imports build/, catalog/, verify/, publish/ or BuildKit (mcpverify
// links it; hack/libguard_test.go) and never reads the environment; libraries log only through an injected *slog.Logger.
//
// # Concurrent writers
//
// Each write of a tag (staging, attaching) is read-modify-write: read the manifest, add a
// layer or staged record, push the new manifest under the same tag. Within one process Store serializes writes per
// tag, so parallel publishes of servers that share a digest cannot lose each other's layers.
// Across processes there is no lock: the registry API has no compare-and-swap on tags (no
// If-Match on manifest PUT). When another process's push replaces ours before our
// read-back, the read-back lacks our layer (or staged record) and Store pushes again what
// it now reads plus ours, so both survive. What no reader can prevent: a layer another process pushes between
// our last read and our push is overwritten by it, unseen; a writer that reads back (this
// package) then re-adds its layer, cosign (which does not read back) loses it, as it would
// against another cosign. What this package guarantees is that it never reports success
// for a signature that is not there and never drops a layer it has seen without failing:
// the caller reports that server as failed and a re-run attaches it again. Operators who
// sign from several places should serialize signing per image (one release job), as with
// cosign.
package sign
