package ocireg

// MaxJSONValues bounds the values (objects, arrays, and their elements) of one JSON
// document from a registry: a 4 MiB manifest of empty layers ({},{},...) would otherwise
// decode into about 190 MiB of descriptors. Manifests are counted while they are read.
const MaxJSONValues = 1 << 14

// JSONValues bounds the number of values of a JSON document from above, in one pass
// without allocating: one for the document, one per object or array, one per separator
// (a comma between elements or members) outside strings. Malformed JSON is counted all
// the same (the decoder refuses it later).
func JSONValues(raw []byte) int {
	s := jsonScanner{n: 1}
	s.scan(raw)
	return s.n
}

// jsonScanner counts JSON values across consecutive chunks of a document.
type jsonScanner struct {
	n                 int
	inString, escaped bool
}

func (s *jsonScanner) scan(p []byte) {
	for _, c := range p {
		switch {
		case s.inString && s.escaped:
			s.escaped = false
		case s.inString && c == '\\':
			s.escaped = true
		case s.inString && c == '"':
			s.inString = false
		case s.inString:
		case c == '"':
			s.inString = true
		case c == '{' || c == '[' || c == ',':
			s.n++
		}
	}
}

// CountJSONValues returns JSONValues(raw), refusing a JSON document from a registry with
// more than MaxJSONValues values (an *Error: could not check); what names the document.
func CountJSONValues(raw []byte, what string) (int, error) {
	n := JSONValues(raw)
	if n > MaxJSONValues {
		return n, badContent("%s has more than %d JSON values", what, MaxJSONValues)
	}
	return n, nil
}
