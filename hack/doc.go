// Package hack holds the scripts of the local development stack (hack/stack,
// hack/install.sh, hack/fixtures.sh). It has no Go code of its own; its tests check
// that the fixture repositories are deterministic and match the testdata catalog.
package hack
