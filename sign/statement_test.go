package sign

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestParseStatementHead checks that the fields of an in-toto statement are read with
// their exact keys, as in-toto defines them and as verifiers in other languages read them
// (encoding/json alone matches "Subject" or "PREDICATETYPE" too), and that a statement
// holding a key twice is refused (parsers disagree on which one counts).
func TestParseStatementHead(t *testing.T) {
	h := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	subj := `[{"name":"x","digest":{"sha256":"` + h.Hex + `"}}]`
	for _, tt := range []struct {
		in, wantErr, wantType string
		wantNames             bool
	}{
		{`{"predicateType":"p","subject":` + subj + `}`, "", "p", true},
		{`{"predicateType":"p","subject":[{"digest":{"sha512":"` + h.Hex + `"}}]}`, "", "p", false},
		{`{"predicateType":"p"}`, "", "p", false},
		{`{"predicateType":"p","subject":null}`, "", "p", false},
		{`{"PredicateType":"p","subject":` + subj + `}`, "", "", true},
		{`{"predicateType":"p","Subject":` + subj + `}`, "", "p", false},
		{`{"predicateType":"p","subject":[{"Digest":{"sha256":"` + h.Hex + `"}}]}`, "", "p", false},
		{`{"predicateType":"p","subject":[],"subject":` + subj + `}`, `key "subject" appears twice`, "", false},
		{`{"predicateType":"p","subject":[{"digest":{"sha256":"00","sha256":"` + h.Hex + `"}}]}`, `key "sha256" appears twice`, "", false},
		{`{"predicateType":"p","subject":{"digest":{}}}`, "subject is not a list", "", false},
		{`{"predicateType":"p","subject":["x"]}`, "subject[0] is not an object", "", false},
		{`[]`, "not a JSON object", "", false},
		{`{"predicateType":"p"} {}`, "invalid", "", false},
	} {
		head, err := parseStatementHead([]byte(tt.in))
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseStatementHead(%s) error = %v, want %q", tt.in, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("parseStatementHead(%s): %v", tt.in, err)
		case head.PredicateType != tt.wantType || head.names(h) != tt.wantNames:
			t.Errorf("parseStatementHead(%s) = type %q, names %v; want %q, %v", tt.in, head.PredicateType, head.names(h), tt.wantType, tt.wantNames)
		}
	}
}
