// Package publish runs catalog servers through the whole release of an image, one
// Report per server:
//
//	servers/<name>/server.yaml -catalog-> *catalog.Server -NewJob-> Job{Server, Image tag}
//	  check:   is Image already published? (read the tag; sign's FindSignature and
//	           FindAttestation by this key, in parallel; verify's revision-label check
//	           unless this key's signature stands for it) -> "unchanged"
//	  build:   build.Builder.Build(server) -> build.Result (pushed to Image, by digest)
//	  confirm: read the image back at its digest and tag (label = pin, tag -> digest)
//	  sign:    sign.Service.SignImage(digest, revision and source claims)
//	  attest:  sign.Service.Attest(digest, Result.Provenance)
//	  -> Report{Name, Image, Commit, Signature, Attestation, log indexes, Status, Reason}
//
// The Publisher owns the sequence, its concurrency (WithParallelism) and the report;
// build, sign and verify never call each other or this package. Dependencies point one
// way: cmd -> publish -> {build, sign, verify} -> catalog (hack/libguard_test.go).
//
// # One image reference
//
// NewJob computes the image tags of a server once (catalog.Server.ImageRef under a
// catalog.Destination, the rule build.Plan pushes by): Image, the primary tag, and
// ExtraTags, which must hold the same digest (checked before building, read back after;
// one missing or elsewhere rebuilds the server). The tag is what the check reads before building, and the build's Result must name it (Result.Tag, and the
// repository of Result.Image): a builder that pushed anywhere else fails that server,
// naming it, before anything is read back or signed.
//
// # Multi-platform images
//
// WithPlatforms tells the Publisher what the builder builds (the same list as
// build.PlanOptions.Platforms). With several, the published image is an index: the check
// and the read-back require an index of exactly those platforms, read each platform's
// manifest by digest and check its config's revision label (a failure names the
// platform), and the index digest is what is signed, logged and attested (one provenance
// statement about the index and every platform manifest, see package build). A tag
// holding anything else (a single image, another set of platforms) is rebuilt. With one
// platform the image must be that platform's.
//
// # What is read
//
// Every image read (the tag in the check, the digest and tag in the confirmation, the
// config) goes through the signing service's sign.Store (ReadManifest, ReadConfig): the
// transport and credentials of sign.Store.WithReads, bounded and hashed by
// internal/ocireg as mcpverify reads (see sign's package doc: registries are not
// trusted). Only a 404 means "not published yet"; any other failed read fails the server
// as "could not check" and nothing is written. The image the build pushed is read back
// before it is signed: a registry that answered 201 and kept nothing, or serves the tag
// from another digest, fails the server with ErrImageNotStored, and nothing is signed or
// logged.
//
// Re-publishing an unchanged single image (no --platform) reads three manifests: the tag,
// then the .sig and .att tags of the digest it resolves to (in parallel). The config is
// not read then: this
// key's signature (verified, with its log bundle when the Publisher logs) over a payload
// naming exactly that digest with the pin as its revision claim is only made by publish
// after the read-back checked every config's label against the pin, and a digest fixes
// its manifest and configs, so the check cannot come out otherwise. What the signature
// does not bind is checked from the tag's manifest itself (an image, or an index of
// exactly the platforms asked for); with --platform the platform manifests and configs
// are still read, since only a config names a single image's platform (a changed
// --platform must rebuild) and a registry may have lost an index's platform manifest (a
// 404 rebuilds). When the signature or the attestation is missing or could not be read,
// the configs are read and the outcome is the sequential one (label, then signature,
// then attestation). This trusts the key holder: a signature made with the key outside
// publish, with the same claims, counts as publish's.
//
// # Statuses
//
// "unchanged": the tag already carries the pin, this key's signature and provenance
// attestation; nothing is built or written. "published": built, confirmed, signed and
// attested (a digest already signed and attested by this key, e.g. a pin changed back,
// gets no new signature or log entry; the existing log indexes are reported).
// "failed": Reason and Err say why; the other servers go on. Failures joins the errors.
//
// Progress goes to WithProgress as one line per step and server ("<server>: building");
// logs go to WithLogger. The package never reads the environment.
package publish
