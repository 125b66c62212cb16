package sign

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// statementHead is the part of an in-toto statement that attestation handling reads.
type statementHead struct {
	Type          string
	PredicateType string
	Subject       []subject
}

type subject struct {
	Name   string
	Digest map[string]string
}

func (st *statementHead) names(h v1.Hash) bool {
	for _, s := range st.Subject {
		if s.Digest[h.Algorithm] == h.Hex {
			return true
		}
	}
	return false
}

// parseStatementHead reads an in-toto statement's _type, predicateType and subjects by
// their exact keys, as in-toto defines them and as verifiers in any language read them
// (decoding into a Go struct would also take "Subject" or "PREDICATETYPE"). A statement
// that holds a key twice in one object is refused: parsers disagree on which one counts,
// so what is signed must not depend on it. Fields of the wrong type read as absent,
// except a subject that is not a list of objects.
func parseStatementHead(b []byte) (*statementHead, error) {
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("not a JSON object (%s)", te.Value)
		}
		return nil, err
	}
	if doc == nil {
		return nil, errors.New("not a JSON object (null)")
	}
	if k, err := duplicateKey(b); err != nil || k != "" {
		return nil, fmt.Errorf("key %q appears twice in one object", k)
	}
	head := &statementHead{}
	head.Type, _ = doc["_type"].(string)
	head.PredicateType, _ = doc["predicateType"].(string)
	if doc["subject"] == nil {
		return head, nil
	}
	list, ok := doc["subject"].([]any)
	if !ok {
		return nil, errors.New("subject is not a list")
	}
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("subject[%d] is not an object", i)
		}
		s := subject{Digest: map[string]string{}}
		s.Name, _ = m["name"].(string)
		digests, _ := m["digest"].(map[string]any)
		for alg, v := range digests {
			if hex, ok := v.(string); ok {
				s.Digest[alg] = hex
			}
		}
		head.Subject = append(head.Subject, s)
	}
	return head, nil
}

// duplicateKey returns a key that some object in the JSON value b holds twice ("" when
// none). b must be valid JSON (json.Unmarshal bounds its nesting first).
func duplicateKey(b []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var walk func() (string, error)
	walk = func() (string, error) {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return "", err
				}
				key, _ := k.(string)
				if seen[key] {
					return key, nil
				}
				seen[key] = true
				if dup, err := walk(); dup != "" || err != nil {
					return dup, err
				}
			}
		case json.Delim('['):
			for dec.More() {
				if dup, err := walk(); dup != "" || err != nil {
					return dup, err
				}
			}
		default:
			return "", nil
		}
		_, err = dec.Token() // the closing delimiter
		return "", err
	}
	return walk()
}
