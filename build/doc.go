// Package build turns a pinned catalog entry into an image in a registry with BuildKit.
//
// Plan is a pure function from a catalog.Server to the BuildKit SolveOpt that builds it:
// the dockerfile.v0 frontend over the git context at exactly source.commit and
// source.directory, the OCI revision/source labels set as frontend options (they override
// labels inherited from a base image or set in the Dockerfile), SOURCE_DATE_EPOCH taken
// from the pinned commit and timestamps rewritten so that two builds of one pin give one
// manifest digest, and an image exporter that pushes by name.
//
// BuildKit (NewBuildKit) runs that plan against a buildkitd and reads the SLSA v1
// provenance of the build from buildkitd's build history, so the pushed image stays a
// plain image manifest whose digest does not depend on the provenance.
//
// Limiter bounds concurrency and Recorder records calls, as decorators of Builder.
package build
