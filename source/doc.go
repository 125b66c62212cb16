// Package source checks catalog pins against their git remotes: it lists a remote's refs
// (one ls-remote per repository), fetches the pinned commits blobless into a temporary
// bare repository (one fetch per repository), reads trees and files at a commit, checks
// that BuildKit can build the pin (directory, Dockerfile, target, COPY/ADD sources inside
// the build context), and describes the commits between a pin and its branch's tip for
// review.
//
// Everything goes through the git command line, run without a shell, with a deadline and
// a bounded output on every call, and with an environment of its own: no user or system
// git configuration, no terminal prompt, only the git:// and https:// transports (file://
// too with WithFileRemotes, for tests), literal paths (no pathspec magic). The package
// never reads the process environment; WithEnv adds variables (such as proxies) to the
// child's. Revisions are full commit hashes only, passed after --end-of-options, and a
// temporary repository is bounded on disk (WithMaxRepoSize): a remote that ignores the
// blob filter cannot fill the disk.
package source
