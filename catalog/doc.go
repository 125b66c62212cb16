// Package catalog reads and validates a catalog of MCP servers in Docker's MCP registry
// format: one servers/<name>/server.yaml per entry.
//
// The whole upstream schema is modelled (Server and the types it holds), so every
// well-formed entry of Docker's registry loads. The fields mcpbuild acts on are checked
// strictly: the name matches its folder, a "server" entry is pinned to a full 40-hex
// lowercase commit of an https, git, ssh or file repository (lowercase scheme), directory
// and dockerfile stay inside the repository (relative, no ".." component, no '#' or '?';
// the directory also no ':' or '%', which BuildKit's git context would read), and image is
// a repository in the distribution reference grammar (an optional registry host[:port],
// then lowercase path components; at most 255 characters with its registry), without a
// digest. Identifier fields (name, image, source.*, tool images, remote.url) must not
// hold control, bidi, invisible-format, line-separator or non-ASCII-space characters,
// which could alter or hide text in a build, a label, a signed claim or a log.
// "remote" and "poci" entries are checked for their own fields and are not Buildable.
//
// Docker's registry compatibility: what its CI accepts loads, with warnings for what it
// only tolerates: an image with a tag (mcpbuild drops it: Server.ImageRef, the one place
// that makes an image's reference, pushes by digest under the caller's tag), the names
// and secret names it grandfathers, titles it refuses in new entries, unknown keys (its
// parser drops them). Options.Strict makes them errors. Its CI's other offline rules are
// errors: secret names of the form prefix.name, {{<name>.param}} templates in config.env,
// OAuth only with dynamic.tools. docker.go lists the rules and exceptions.
//
// Every problem of every file is reported in one run, as a *Diagnostic located at the
// offending YAML node ("servers/fetch/server.yaml:12:11: source.commit: ..."); its Error
// text is one line and escapes such characters wherever they come from (path, keys).
// LoadFiles returns each file with its own diagnostics, so that one broken entry does not
// stop the others; Load is for callers that need every entry valid. Malformed input
// (invalid YAML, duplicate keys, empty, non-UTF-8, over 1 MiB, several documents, a
// non-mapping top level) is an error, never a panic.
//
// The rules mcpbuild and mcpverify share are defined here, once: IsCommit (a pin's
// commit), Mirror and Mirrors (--source-mirror FROM=TO: ParseMirror, Validate, Rewrite),
// GitContext (a BuildKit git context: Server.ContextURL makes it, ParseGitContext reads
// it), CheckRegistry, CheckPrefix and CheckTag, Destination (a registry or a repository
// prefix), Server.ImageRef and FindByImage (where an entry's image is pushed, and which
// entry an image reference is), and RevisionLabel and SourceLabel (the labels
// and signed claims naming the pin).
//
// The package does no network I/O and reads no environment variables.
package catalog
