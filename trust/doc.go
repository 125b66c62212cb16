// Package trust reads trust policy files: which publishers mcpverify trusts, with which
// keys, for which images, at which trust level, and what it requires of their images.
// A File becomes a verify.TrustPolicy (File.Policy) for verify.NewPolicyVerifier.
//
// Schema (apiVersion mcpbuild.dev/v1alpha1, kind TrustPolicy; unknown fields, repeated
// keys, anchors and aliases are errors):
//
//	apiVersion: mcpbuild.dev/v1alpha1
//	kind: TrustPolicy
//	transparencyLog:             # default for publishers without their own; exactly one of:
//	  trustedRoot: trusted_root.json   # Sigstore trusted root: its Rekor keys, each within its validity
//	  # publicKey: rekor.pub           # the log's PEM public key
//	  # url: https://rekor.example     # fetch the log's key once (trust on first use); http only to loopback
//	  # insecureIgnore: true           # no transparency-log check (unsafe)
//	publishers:
//	  - name: mcp                      # required, unique
//	    trustLevel: official           # required: official, verified or community
//	    keys:                          # required, at most 8; one of them must sign (and attest)
//	      - keys/mcp.pub               # PEM file (relative to this file), KMS URI, or env://VAR
//	    images:                        # required: image patterns (verify.ImagePattern)
//	      - mcp/*
//	    signaturesRepository: registry.example/mcp/signatures   # default <image registry>/mcp/signatures
//	    transparencyLog: {publicKey: rekor.pub}                  # overrides the top level's
//	    requirements:
//	      provenance: required         # required, optional (default: verified when present) or skip
//	      signedRevision: true         # the signature must carry the revision claim (default false)
//
// Which publisher covers an image: the most specific pattern wins (an exact repository
// over a glob, then a pattern naming a registry over one that does not, then the longest
// literal prefix); patterns of two publishers that could tie are an error. An image no
// publisher covers is not verified. At most 64 publishers. Key and trusted-root files are
// read as regular files of at most 1 MiB and 4 MiB.
//
// Every problem of a file is reported as a *catalog.Diagnostic, "path:line:col: field:
// message", all of them joined; problems found while loading keys and log material are
// a *PositionError of the same form.
package trust
