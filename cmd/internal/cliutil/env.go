package cliutil

// Environment variables read by the binaries. Library packages never read the environment;
// the command layer reads these and passes values in as options.
const (
	EnvBuildkitHost   = "BUILDKIT_HOST"      // BuildKit address (unix://, tcp://, docker-container://, kube-pod://, ssh://)
	EnvCosignRepo     = "COSIGN_REPOSITORY"  // signatures repository, as cosign reads it
	EnvCosignPassword = "COSIGN_PASSWORD"    // password of an encrypted private key; never logged
	EnvRegistry       = "MCPBUILD_REGISTRY"  // default registry host when none is given
	EnvRekorURL       = "MCPBUILD_REKOR_URL" // default Rekor URL (local stack)
	// EnvRekorPublicKey is the Rekor log's public key (a PEM file path), as cosign reads it.
	EnvRekorPublicKey = "SIGSTORE_REKOR_PUBLIC_KEY"

	// TLS to buildkitd, defaults of buildctl's flags of the same names (buildctl itself
	// reads no variables for them): --tlscacert, --tlscert, --tlskey, --tlsservername, --tlsdir.
	EnvBuildkitTLSCACert     = "MCPBUILD_BUILDKIT_TLS_CACERT"
	EnvBuildkitTLSCert       = "MCPBUILD_BUILDKIT_TLS_CERT"
	EnvBuildkitTLSKey        = "MCPBUILD_BUILDKIT_TLS_KEY"
	EnvBuildkitTLSServerName = "MCPBUILD_BUILDKIT_TLS_SERVERNAME"
	EnvBuildkitTLSDir        = "MCPBUILD_BUILDKIT_TLS_DIR"

	// Deadlines (Go durations, "90s", "5m"): the whole command's, per binary, and each
	// network request's, shared.
	EnvBuildTimeout   = "MCPBUILD_TIMEOUT"         // mcpbuild --timeout
	EnvVerifyTimeout  = "MCPVERIFY_TIMEOUT"        // mcpverify --timeout
	EnvRequestTimeout = "MCPBUILD_REQUEST_TIMEOUT" // --request-timeout of both
)
