package verify

import (
	"errors"
	"fmt"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/fault"
)

// MediaType identifies version 1 of the Verdict JSON contract. Fields are only ever added
// to a version; a change of meaning gets a new media type.
const MediaType = "application/vnd.mcpbuild.verdict.v1+json"

// Status is the outcome of one check.
type Status string

// Check outcomes. StatusError means the check could not be carried out (indeterminate).
const (
	StatusPass    Status = "pass"
	StatusFail    Status = "fail"
	StatusSkipped Status = "skipped"
	StatusError   Status = "error"
)

// Names of the checks, in the order they are reported.
const (
	CheckDigest         = "digest"
	CheckSignature      = "signature"
	CheckTLog           = "tlog"
	CheckLabel          = "label"
	CheckSignedRevision = "signed-revision"
	CheckProvenance     = "provenance"
)

var checkOrder = []string{CheckDigest, CheckSignature, CheckTLog, CheckLabel, CheckSignedRevision, CheckProvenance}

// Check is the result of one check with a human-readable detail.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// Verdict is the machine contract of a verification (see MediaType).
type Verdict struct {
	MediaType string      `json:"mediaType"`
	Image     string      `json:"image"`
	Digest    string      `json:"digest,omitempty"`
	Pin       catalog.Pin `json:"pin"`
	Checks    []Check     `json:"checks"`
	Verified  bool        `json:"verified"`
	// Publisher and TrustLevel name the publisher of a TrustPolicy whose key verified the
	// image, and its trust level (PolicyVerifier): set on verified verdicts only (a verdict
	// that is not verified names the covering publisher in Reason, as no claim); empty for
	// a Verifier's verdicts.
	Publisher  string     `json:"publisher,omitempty"`
	TrustLevel TrustLevel `json:"trustLevel,omitempty"`
	// Indeterminate is set when no check failed but one could not be carried out
	// (registry or Rekor unreachable, 5xx, 429, timeout, content that is not what was
	// asked for): the image is not verified, and nothing is known against it either
	// (mcpverify exit 3, not 1).
	Indeterminate bool `json:"indeterminate,omitempty"`
	// Reason names the first check that did not pass, as "<check>: <detail>"; when the
	// verification stopped outside the checks, "<Indeterminate.Check>: <error>", or
	// "policy: ..." / "reference: ..." for an InputError (see Verifier.Verify).
	Reason string `json:"reason,omitempty"`
}

// Check returns the named check (zero Check when absent).
func (v *Verdict) Check(name string) Check {
	for _, c := range v.Checks {
		if c.Name == name {
			return c
		}
	}
	return Check{}
}

// FirstFailure returns the first check, in report order, that failed; when none failed,
// the first that could not be carried out (status error). A definite failure decides the
// verdict even when another check could not be carried out.
func (v *Verdict) FirstFailure() (Check, bool) {
	for _, want := range []Status{StatusFail, StatusError} {
		for _, c := range v.Checks {
			if c.Status == want {
				return c, true
			}
		}
	}
	return Check{}, false
}

// Err returns nil when the image is verified, else a *Failure carrying the verdict.
func (v *Verdict) Err() error {
	if v.Verified {
		return nil
	}
	return &Failure{Verdict: v}
}

// finish orders the checks, sets Verified and Reason. Verified requires every check to be
// pass or skipped, and, whatever the checks reported, the digest, signature and label
// checks to pass, and the tlog check too when requireTLog (no opt-out): a check that was
// skipped by mistake cannot verify an image.
func (v *Verdict) finish(requireTLog bool) {
	byName := map[string]Check{}
	for _, c := range v.Checks {
		byName[c.Name] = c
	}
	v.Checks = v.Checks[:0]
	for _, n := range checkOrder {
		c, ok := byName[n]
		if !ok {
			c = Check{Name: n, Status: StatusSkipped, Detail: "not reached"}
		}
		v.Checks = append(v.Checks, c)
	}
	required := []string{CheckDigest, CheckSignature, CheckLabel}
	if requireTLog {
		required = append(required, CheckTLog)
	}
	v.Verified, v.Reason = true, ""
	for _, n := range required {
		if byName[n].Status != StatusPass && v.Verified {
			v.Verified, v.Reason = false, n+": not checked"
		}
	}
	if c, bad := v.FirstFailure(); bad {
		v.Verified = false
		v.Reason = c.Name + ": " + c.Detail
	}
}

// Failure is a decided "not verified": the registry answered and a check failed.
type Failure struct{ Verdict *Verdict }

func (f *Failure) Error() string {
	return fmt.Sprintf("%s not verified: %s", f.Verdict.Image, f.Verdict.Reason)
}

// Fault is fault.Failed: a decided "not verified".
func (f *Failure) Fault() fault.Kind { return fault.Failed }

// Indeterminate means the verifier could not decide: a registry or Rekor request failed
// (unreachable, timeout, 5xx, 429, dropped connection, authentication), or the
// verification was stopped (deadline, cancel, panic). It is never a statement that the
// image is unsigned.
type Indeterminate struct {
	Image string
	// Check is the check that could not be carried out (CheckDigest...), or one of the
	// Indeterminate* reasons outside the checks.
	Check string
	Err   error
}

// Values of Indeterminate.Check (and the start of Verdict.Reason) when the verification
// stopped outside the checks; see Verifier.Verify.
const (
	IndeterminateTimeout  = "timeout"  // the context's deadline passed
	IndeterminateCanceled = "canceled" // the context was canceled
	IndeterminateInternal = "internal" // a panic
)

func (e *Indeterminate) Error() string {
	return fmt.Sprintf("could not verify %s (%s): %v", e.Image, e.Check, e.Err)
}
func (e *Indeterminate) Unwrap() error { return e.Err }

// Fault is fault.Unreachable: could not check.
func (e *Indeterminate) Fault() fault.Kind { return fault.Unreachable }

// IsIndeterminate reports whether err (or anything it wraps) is an *Indeterminate.
func IsIndeterminate(err error) bool {
	var ie *Indeterminate
	return errors.As(err, &ie)
}

// InputError means Verify was given what it cannot check: no reference, an invalid
// Policy, a digest of an algorithm it cannot hash. Nothing was read; the Verdict is
// neither verified nor indeterminate, and asking again will not help.
type InputError struct {
	Image string // "" without a reference
	Err   error
}

func (e *InputError) Error() string { return fmt.Sprintf("verifying %s: %v", e.Image, e.Err) }
func (e *InputError) Unwrap() error { return e.Err }

// Fault is fault.Usage: the caller's input cannot be checked.
func (e *InputError) Fault() fault.Kind { return fault.Usage }
