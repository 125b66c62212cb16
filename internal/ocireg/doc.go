// Package ocireg reads manifests and blobs from a registry that is not trusted. It is the
// one implementation of the read rules that publish (package sign) and mcpverify (package
// verify) follow:
//
//   - One GET per read, made here over the registry's authenticated transport, never
//     through go-containerregistry's remote package (which believes Docker-Content-Digest
//     for Docker schema1 manifests and reads up to 100 MiB of a manifest).
//   - Every body is bounded: a manifest by MaxManifest bytes and MaxJSONValues JSON
//     values (counted while it is read), a blob by its descriptor's declared size, which
//     must not exceed the caller's limit. A Content-Length over the bound is refused
//     before the body is read; a body that goes past it is cut off there. A body is read
//     into one buffer of its declared length (without one, grown by doubling but never
//     past the bound) and a manifest is decoded once. A caller that budgets memory sets
//     a ManifestHook (OnManifest): it is told each manifest's size before the body is
//     read, and may wait or refuse.
//   - Everything returned is hashed here (sha256) and compared with what was asked for:
//     a manifest by digest must hash to that digest, a descriptor's manifest or blob must
//     also have its size and media type, embedded data (the OCI "data" field) must hash
//     to its descriptor. A manifest read by tag is the bytes of that one GET: its digest
//     is their hash. A Docker-Content-Digest header naming another sha256 digest is the
//     registry contradicting itself, and refused. Head returns the header's digest, as
//     the registry's claim: a caller may use it only to choose content it holds under
//     that digest (hashed) or to GET by it (verify's cache).
//   - A manifest must be of a media type the caller accepts (sent as Accept and the only
//     Content-Types taken) and a valid manifest of that type (Decode); Docker schema1,
//     HTML and unknown types are refused.
//
// Only an HTTP 404 proves that something does not exist (errors.Is ErrNotFound). Every
// other failure (any other status, whatever error code its body names, a network fault,
// content that is not what was asked for, a body over its bound) is an *Error meaning
// "could not check": never a reason to conclude anything, or to overwrite.
//
// PushBlob is the one write: a blob in two requests (a POST asking to mount it from the
// repository itself, else one PUT of the bytes); package sign pushes what it makes with
// it. The registry's answer that it holds a blob is its word, as a HEAD's would be:
// callers read back what must be readable.
//
// Policy stays with the callers: what a 404 of referenced content means, retries and
// per-request deadlines (the base transport's), budgets across reads (verify's).
package ocireg
