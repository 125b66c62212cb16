package publish

import (
	"errors"

	"github.com/mcpbuild/mcpbuild/sign"
)

// Status of one published server.
type Status string

const (
	Published Status = "published"
	Unchanged Status = "unchanged"
	Failed    Status = "failed"
)

// Report is the outcome for one server; its JSON form is `mcpbuild publish --output json`.
type Report struct {
	Name                string `json:"name"`
	Image               string `json:"image,omitempty"` // <registry>/<image>@sha256:...
	Commit              string `json:"commit"`
	Signature           string `json:"signature,omitempty"`   // <sigrepo>:sha256-<hex>.sig
	Attestation         string `json:"attestation,omitempty"` // <sigrepo>:sha256-<hex>.att
	SignatureLogIndex   *int64 `json:"signatureLogIndex,omitempty"`
	AttestationLogIndex *int64 `json:"attestationLogIndex,omitempty"`
	Builder             string `json:"builder,omitempty"` // the BuildKit daemon that built it, with several (build.Result.Builder)
	Status              Status `json:"status"`
	Reason              string `json:"reason,omitempty"`
	Err                 error  `json:"-"` // the failure, for exit-code mapping
}

func fail(r Report, err error) Report {
	r.Status, r.Reason, r.Err = Failed, err.Error(), err
	return r
}

func (r *Report) setSignature(a *sign.Attached) {
	r.Signature = a.Tag.String()
	if a.LogIndex >= 0 {
		i := a.LogIndex
		r.SignatureLogIndex = &i
	}
}

func (r *Report) setAttestation(a *sign.Attached) {
	r.Attestation = a.Tag.String()
	if a.LogIndex >= 0 {
		i := a.LogIndex
		r.AttestationLogIndex = &i
	}
}

// Failures returns the errors of the failed reports, joined (nil when none failed).
func Failures(rs []Report) error {
	var errs []error
	for _, r := range rs {
		if r.Status == Failed {
			errs = append(errs, r.Err)
		}
	}
	return errors.Join(errs...)
}
