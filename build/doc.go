// Package build turns a pinned catalog entry into an image in a registry with BuildKit.
//
// Plan is a pure function from a catalog.Server to the BuildKit SolveOpt that builds it:
// the dockerfile.v0 frontend over the git context "<project>#<commit>:<directory>" (a
// full commit SHA as the ref: BuildKit checks out exactly that commit and never looks at
// the branch), the OCI revision/source labels set as frontend "label:" options (they
// override labels inherited from a base image or set in the Dockerfile), and an image
// exporter that pushes <registry>/<image>:<tag> with rewrite-timestamp=true.
//
// # Reproducibility: SOURCE_DATE_EPOCH
//
// The plan passes build-arg:SOURCE_DATE_EPOCH=context. The dockerfile frontend (BuildKit
// 0.23 and later; the local stack runs v0.34.2) then resolves it inside buildkitd to the
// committer time of the context's commit, i.e. of the pin, and hands it to the exporter,
// which rewrites every timestamp to it. So the client neither clones nor even reaches the
// git remote, which matters for a remote BuildKit (tcp://): only buildkitd needs network
// access to the git remote and the registry. The result is the same manifest digest as
// passing the number (checked on this stack), and two no-cache builds of one pin give one
// digest (e2e test). An older buildkitd rejects the value "context" with an error.
//
// # Provenance
//
// BuildKit (NewBuildKit) solves with a known SolveOpt.Ref and afterwards reads buildkitd's
// build history record of that ref (ControlClient().ListenBuildHistory), whose attestation
// is the SLSA v1 provenance predicate buildkitd wrote for the build (mode=max), from the
// content store (ContentClient()). Result.Provenance is an in-toto v1 statement with that
// predicate byte for byte and the pushed digest as subject. Exporting the provenance with
// attest:provenance instead would turn the pushed tag into an index whose digest changes
// with every build. Its externalParameters.configSource records the git URI actually
// fetched (after --source-mirror) with digest.sha1 == the pin (ParseProvenanceSource).
//
// # Multi-platform images
//
// PlanOptions.Platforms (ParsePlatforms: containerd's parser, normalized, sorted, no
// duplicates, at most MaxPlatforms) is passed as the frontend's "platform" option; none
// builds the daemon's platform, as before, and one builds that platform's plain image.
// Several build one OCI image index, pushed by digest: Result.Image is the index (what
// is signed, logged and attested) and Result.Platforms each platform's manifest (read
// from the index in buildkitd's content store). The labels are set on every platform's
// config. Nothing is run for a foreign platform unless the Dockerfile RUNs in it (then
// buildkitd needs emulation); FROM --platform=$BUILDPLATFORM stages run natively. Two
// no-cache builds give one index digest (e2e test).
//
// Provenance of an index: buildkitd records one SLSA v1 predicate per platform. The
// Result holds ONE in-toto statement whose subjects are the index digest and every
// platform manifest's digest, so `cosign verify-attestation` of the index sees it, and
// mcpverify checks that it covers each platform it checks (its manifest digest is a
// subject). Its predicate combines the platforms': buildType and externalParameters
// (build context, frontend, arguments) must be equal on all platforms and are kept;
// resolvedDependencies is the union of every platform's (each once, platform order);
// what BuildKit records per platform, internalParameters (target platform, LLB) and
// runDetails.metadata.buildkit_metadata, is kept whole under {"platforms": {<platform>:
// ...}}; the rest of runDetails is the first platform's. One statement means one
// attestation and one log entry per published index, as for a single image.
//
// # Base-image overrides
//
// PlanOptions.BaseImages (ParseBaseImages, from --base-image NAME=REF) become dockerfile
// frontend options "context:<NAME>" = "docker-image://<REF>", BuildKit's named build
// contexts: every FROM NAME (and COPY --from=NAME) of every stage builds on REF, the
// Dockerfile untouched, and REF is resolved for each target platform. The frontend looks a
// FROM image up by its familiar form without ":latest" (frontend/dockerui
// Client.NamedContext), so NAME is normalized the same way: "docker.io/library/alpine:3.20"
// is "alpine:3.20", and a FROM pinned by digest is matched only by a NAME with that digest.
// The provenance's resolvedDependencies name REF's repository and digest, not NAME, and
// its configSource stays the git context, so package verify's checks are unchanged. A REF
// by tag is allowed (NewBuildKit logs a warning: it is resolved at every build). A FROM
// image that cannot be resolved for a network fault is an *UnreachableError naming that
// image's registry (classify), not the registry pushed to.
//
// # Shared fetches
//
// buildkitd keeps one bare clone per remote URL, serializes fetches per remote, and skips
// the fetch when the pinned commit is already present; its git source cache key is the
// commit (plus sub-directory). So servers that share a repository are fetched once: the
// e2e test counts connections to the git remote through a proxy and sees one for two
// servers of one repository at one commit. A different pinned commit of the same
// repository costs one incremental fetch into the same clone.
//
// # Errors
//
// BuildKit reports git and push failures as text only; classify (errors.go) maps them to
// *UnreachableError (BuildKit, registry or git remote, with its address) and
// *CommitNotFoundError (commit or directory missing, naming project and commit). A RUN
// whose process exited non-zero is a definite build failure whatever its command says:
// classify recognizes it by BuildKit's typed *ExitError (frontend/gateway/pb, which
// crosses gRPC: e2e test), and never matches its markers against the command BuildKit
// quotes in the message ("process %q did not complete successfully"), which the server's
// Dockerfile chooses. Deadline reports a build past its deadline as an *UnreachableError
// (exit 3: it could not finish) wrapping a *DeadlineError.
//
// No SSH agent is forwarded to buildkitd (a Dockerfile's RUN --mount=type=ssh could use
// it), so ssh:// and user@host:path projects are built through --source-mirror to an
// https:// or git:// mirror; without one the error says so.
//
// # Several daemons
//
// Fleet (fleet.go) is a Builder over several daemons, each typically Lazy(Deadline(BuildKit)).
// Servers of one repository (the remote fetched, after mirrors) go to one daemon, so each
// daemon keeps one clone of it: FleetPlan assigns the repositories up front by rendezvous
// hashing of the daemon names with a bound of ceil(servers/daemons) per daemon (largest
// repositories first, a repository never split), deterministic for a catalog and a set of
// names. FleetParallelism bounds the builds per daemon. An error whose fault kind is
// Unreachable, unless it is an *UnreachableError naming a git remote or a registry (which
// no daemon would reach: one bad entry must not take them all out) or a build past its
// deadline, says the daemon did not answer (a refused connection, gRPC Unavailable) and
// takes it out: the server is built once more on another daemon, builds waiting for a slot
// of the dead one move, and its repositories are reassigned to the live daemon with the
// fewest pending builds. Any other error is the server's and is not retried, so nothing is
// built twice for a definite failure. A build past its deadline (*DeadlineError) is the
// server's too (a hostile RUN sleep must not take out every daemon it is tried on): it
// fails that server (exit 3) and is not retried; the daemon is then asked whether it
// answers (Daemon.Probe: BuildKit.Probe, Info within FleetProbeTimeout) and taken out only
// when it does not, so a hung daemon still leaves the fleet. Result.Builder, and BuilderOf
// for a failure, name the daemon.
//
// A daemon taken out is not stopped: when only its answer was lost (the connection broke
// while it built), it may still finish the first attempt and push the tag late, after the
// retry on another daemon pushed it. Both builds are of one pin with one
// SOURCE_DATE_EPOCH, so they normally push one digest. If they do not, the run converges
// all the same: publish confirms before it signs (reads back the digest the retry returned
// and the tag resolving to it), so a tag moved before that fails the server and nothing is
// signed, and a tag moved after it is found unsigned by the next run's check, which
// publishes it again.
// Progress.Tagged gives each daemon a view of one display whose steps read "[name] step";
// every step of a server's solve is prefixed with the server: "<server>: [name] step".
//
// Decorators of Builder: Limiter bounds concurrency, Deadline bounds each build, Lazy
// opens the wrapped Builder on the first Build only (mcpbuild publish contacts BuildKit
// only when a server needs building), and Recorder records calls for tests.
//
// The package never imports sign, verify or publish: package publish calls Build and
// signs the Result (hack/libguard_test.go).
package build
