// Package httpx is the HTTP transport every registry and Rekor request of mcpbuild and
// mcpverify goes through: it gives each request a deadline and retries what may be retried,
// within a bound, so that a stalled or failing server ends in an error naming it and the
// request instead of a hang.
//
// Deadline: each attempt of a request has WithRequestTimeout (default 30 s) to finish, from
// sending the request to the end of its response body; the timer stops when the body is
// read to EOF or closed. A stalled body is therefore cut off like a stalled header, and a
// slow one (a trickle) too: the deadline is on the whole exchange, not on idle time. The
// caller's context deadline, when earlier, wins.
//
// Retries: a request is retried when it may be replayed (GET, HEAD, OPTIONS, and PUT or
// DELETE whose body can be read again through Request.GetBody; POST or PATCH only with an
// Idempotency-Key header; never a request to an OCI blob upload session, /blobs/uploads/,
// whose location is single-use) and it failed with 429, 500, 502, 503 or 504, or its
// connection broke before any answer (reset, closed). A timed-out attempt is not retried:
// the server had the whole deadline already, and retrying would multiply the wait. Nor is
// one that could not connect at all (refused, unknown host): nothing is there to answer. At most WithRetries retries
// (default 3, so 4 attempts); waits grow from WithBackoff's base (default 500 ms, doubling,
// at most 5 s), each drawn at random between half and all of it. A Retry-After header
// (seconds or an HTTP date) replaces the computed wait; one longer than WithMaxRetryAfter
// (default 10 s), or one that would end after the caller's deadline, ends the request at
// once with an *Error saying so. No wait outlasts the caller's context.
//
// After the last retry the last answer is returned as it is (a caller reads the server's
// error body); failures without an answer are an *Error naming the service, the method and
// the URL path (never the query or credentials) and, for a timeout, how long it waited.
//
// go-containerregistry's remote package retries on its own (3 tries by default, 1 s then
// 3 s apart, for requests and again for whole uploads); RemoteOptions switches that off so
// that this package's policy is the only one.
package httpx
