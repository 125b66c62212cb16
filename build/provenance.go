package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/content/proxy"
	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/in-toto/in-toto-golang/in_toto"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	controlapi "github.com/moby/buildkit/api/services/control"
	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// predicateTypeAnnotation is how buildkitd labels the attestations of a history record.
const predicateTypeAnnotation = "in-toto.io/predicate-type"

// readProvenance returns an in-toto statement about img whose predicate is the SLSA v1
// provenance buildkitd recorded for the solve ref in its build history. Reading it from
// the history, instead of exporting it with attest:provenance, leaves the pushed image a
// plain manifest (or index): the attestation would add a manifest to the index, whose
// digest would then change with every build. For a multi-platform build (plats), the
// record holds one predicate per platform: the statement's subjects are the index img
// and every platform's manifest, and its predicate combines the platforms'
// (combinePredicates).
func readProvenance(ctx context.Context, c *client.Client, ref string, img name.Digest, plats []PlatformImage) ([]byte, error) {
	rec, err := historyRecord(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	if len(plats) == 0 {
		var pred []byte
		if rec.Result != nil {
			if pred, err = readPredicate(ctx, c, ref, rec.Result.Attestations); err != nil {
				return nil, err
			}
		}
		if pred == nil {
			return nil, fmt.Errorf("reading provenance of build %s: history record has no SLSA v1 provenance", ref)
		}
		return provenanceStatement(pred, img)
	}
	preds := map[string][]byte{}
	subjects := []name.Digest{img}
	for _, p := range plats {
		var pred []byte
		for k, r := range rec.Results {
			if r == nil {
				continue
			}
			if kp, err := platforms.Parse(k); err != nil || platforms.Format(platforms.Normalize(kp)) != p.Platform {
				continue
			}
			if pred, err = readPredicate(ctx, c, ref, r.Attestations); err != nil {
				return nil, err
			}
		}
		if pred == nil {
			return nil, fmt.Errorf("reading provenance of build %s: history record has no SLSA v1 provenance for %s", ref, p.Platform)
		}
		preds[p.Platform] = pred
		subjects = append(subjects, p.Manifest)
	}
	pred, err := combinePredicates(preds)
	if err != nil {
		return nil, fmt.Errorf("reading provenance of build %s: %w", ref, err)
	}
	return provenanceStatement(pred, subjects...)
}

// readPredicate reads the SLSA v1 predicate among a history record's attestations (nil
// when there is none).
func readPredicate(ctx context.Context, c *client.Client, ref string, atts []*controlapi.Descriptor) ([]byte, error) {
	var desc *controlapi.Descriptor
	for _, a := range atts {
		if a.Annotations[predicateTypeAnnotation] == slsa1.PredicateSLSAProvenance {
			desc = a
		}
	}
	if desc == nil {
		return nil, nil
	}
	dgst, err := digest.Parse(desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("reading provenance of build %s: %w", ref, err)
	}
	store := proxy.NewContentStore(c.ContentClient())
	pred, err := content.ReadBlob(ctx, store, ocispec.Descriptor{MediaType: desc.MediaType, Digest: dgst, Size: desc.Size})
	if err != nil {
		return nil, fmt.Errorf("reading provenance blob %s of build %s: %w", dgst, ref, err)
	}
	return pred, nil
}

// provenanceStatement wraps a SLSA v1 predicate (JSON, kept byte for byte) in an in-toto
// v1 statement about subjects (the pushed image first; for an index, then every
// platform's manifest).
func provenanceStatement(predicate []byte, subjects ...name.Digest) ([]byte, error) {
	img := subjects[0]
	var p slsa1.ProvenancePredicate
	if err := json.Unmarshal(predicate, &p); err != nil {
		return nil, fmt.Errorf("decoding SLSA v1 provenance of %s: %w", img, err)
	}
	var subs []in_toto.Subject
	for _, s := range subjects {
		h, err := digest.Parse(s.DigestStr())
		if err != nil {
			return nil, fmt.Errorf("provenance subject %s: %w", s, err)
		}
		subs = append(subs, in_toto.Subject{
			Name:   s.Context().Name(),
			Digest: map[string]string{h.Algorithm().String(): h.Encoded()},
		})
	}
	st := in_toto.Statement{
		StatementHeader: in_toto.StatementHeader{
			Type:          in_toto.StatementInTotoV1,
			PredicateType: slsa1.PredicateSLSAProvenance,
			Subject:       subs,
		},
		Predicate: json.RawMessage(predicate),
	}
	return json.Marshal(st)
}

// historyRecord returns the completed history record of the solve ref.
func historyRecord(ctx context.Context, c *client.Client, ref string) (*controlapi.BuildHistoryRecord, error) {
	cl, err := c.ControlClient().ListenBuildHistory(ctx, &controlapi.BuildHistoryRequest{Ref: ref, EarlyExit: true})
	if err != nil {
		return nil, fmt.Errorf("reading build history of %s: %w", ref, err)
	}
	var rec *controlapi.BuildHistoryRecord
	for {
		ev, err := cl.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading build history of %s: %w", ref, err)
		}
		if ev.Record != nil && ev.Record.Ref == ref && ev.Type == controlapi.BuildHistoryEventType_COMPLETE {
			rec = ev.Record
		}
	}
	if rec == nil {
		return nil, fmt.Errorf("reading build history of %s: no completed record (is buildkitd's build history disabled?)", ref)
	}
	return rec, nil
}

// ProvenanceSource is the build source a provenance statement records.
type ProvenanceSource struct {
	URI  string // the git context fetched, e.g. git://host/repo.git#<sha>:<dir>
	SHA1 string // the commit checked out
}

// ParseProvenanceSource reads the config source of a BuildKit SLSA v1 statement
// (buildDefinition.externalParameters.configSource).
func ParseProvenanceSource(statement []byte) (ProvenanceSource, error) {
	var st struct {
		PredicateType string `json:"predicateType"`
		Predicate     struct {
			BuildDefinition struct {
				ExternalParameters struct {
					ConfigSource struct {
						URI    string            `json:"uri"`
						Digest map[string]string `json:"digest"`
					} `json:"configSource"`
				} `json:"externalParameters"`
			} `json:"buildDefinition"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(statement, &st); err != nil {
		return ProvenanceSource{}, fmt.Errorf("decoding provenance statement: %w", err)
	}
	if st.PredicateType != slsa1.PredicateSLSAProvenance {
		return ProvenanceSource{}, fmt.Errorf("provenance predicate type %q, want %q", st.PredicateType, slsa1.PredicateSLSAProvenance)
	}
	cs := st.Predicate.BuildDefinition.ExternalParameters.ConfigSource
	if cs.URI == "" || cs.Digest["sha1"] == "" {
		return ProvenanceSource{}, fmt.Errorf("provenance has no git config source (uri %q, sha1 %q)", cs.URI, cs.Digest["sha1"])
	}
	return ProvenanceSource{URI: cs.URI, SHA1: cs.Digest["sha1"]}, nil
}
