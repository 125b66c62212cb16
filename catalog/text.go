package catalog

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// checkText says why s, the value of a field that reaches a build (context, Dockerfile
// path, build target), an image label, a signed claim or a log line, holds a character
// that could alter or hide text there ("" when it holds none):
//
//   - C0 and C1 controls and DEL (NUL, line breaks, tab, terminal escape sequences);
//   - Unicode line and paragraph separators (U+2028, U+2029);
//   - bidirectional controls (embeddings, overrides, isolates, marks: "Trojan Source");
//   - other invisible format characters (zero-width spaces and joiners, BOM, soft hyphen,
//     tag characters that spell hidden ASCII) and default-ignorable fillers and variation
//     selectors;
//   - spaces other than the ASCII space (they look like one in a log);
//   - noncharacters and invalid UTF-8.
//
// YAML lets a double-quoted scalar spell any of them as an escape ("\0", "\e", "\u202e").
func checkText(s string) string {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return fmt.Sprintf("%q contains invalid UTF-8 (byte 0x%02x)", s, s[i])
		}
		if kind := hostileKind(r); kind != "" {
			return fmt.Sprintf("%q contains %s %U, which could alter or hide text in a build, a label, a signed claim or a log", s, kind, r)
		}
		i += size
	}
	return ""
}

// hostileKind names the class of r when checkText refuses it, else "".
func hostileKind(r rune) string {
	switch {
	case r < 0x7F && r >= 0x20:
		return ""
	case unicode.IsControl(r):
		return "control character"
	case r == 0x2028 || r == 0x2029:
		return "line or paragraph separator"
	case unicode.Is(unicode.Bidi_Control, r):
		return "bidirectional control"
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r),
		unicode.Is(unicode.Variation_Selector, r):
		return "invisible format character"
	case unicode.Is(unicode.Zs, r):
		return "non-ASCII space"
	case unicode.Is(unicode.Noncharacter_Code_Point, r):
		return "noncharacter"
	}
	return ""
}
