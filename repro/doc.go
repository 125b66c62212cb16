// Package repro answers whether a pin rebuilds to the image that was published from it,
// and if not, where the two first differ.
//
// Checker.Check resolves the published tag once (internal/ocireg: one bounded, hashed
// GET), rebuilds the pin with a build.Builder the caller configured (no cache, pushing
// somewhere that is not the published tag), and when the digests differ, Comparer.Compare
// reads both images by digest and names the first difference, in this order:
//
//  1. the manifest's media type (an image against an index);
//  2. for an index: the set of platforms, then each platform (paired by platform, in
//     platform order) whose manifest digest differs, compared as below; an index whose
//     platforms are all equal differs in its own fields (a JSON path of the index);
//  3. the number of layers;
//  4. the config: the first JSON path that differs, like config.Labels["x"], created or
//     history[3].created_by (rootfs.diff_ids is left to step 5, which says more);
//  5. the first layer whose digest differs, and its files: path and what differs
//     (content hash, size, mode, uid/gid, mtime, type, link target, only on one side),
//     the first MaxFiles of them and how many more. gzip and uncompressed tar layers
//     are listed; another compression is named and not listed. A layer whose files
//     are equal differs in its compression (diff_id equal);
//  6. the manifest's own fields (annotations, ...): a JSON path.
//
// Every read is bounded: manifests and configs by ocireg's limits, layers by
// WithMaxLayer (compressed) and 4 times that uncompressed, and MaxEntries tar entries.
// Only a 404 proves absence: the published image answering 404 is StatusNotPublished (a
// definite answer); any other failed read is an error, which means "could not check".
//
// The package never imports sign, verify or publish (hack/libguard_test.go).
package repro
