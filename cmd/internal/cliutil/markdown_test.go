package cliutil

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestMarkdownCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "`plain`"},
		{"a|b", "`a\\|b`"},
		{"a`b", "``a`b``"},
		{"``x", "``` ``x ```"},
		{"x`", "`` x` ``"},
		{"  ", "`  `"},
		{" a ", "`  a  `"},
		{"line\nbreak\r\x1b[2J", "`line\\nbreak\\r\\x1b[2J`"},
		{"\u202eevil\u200b", "`\\u202eevil\\u200b`"},
		{"<b>[l](https://x) @user #1", "`<b>[l](https://x) @user #1`"},
	} {
		if got := MarkdownCode(tc.in); got != tc.want {
			t.Errorf("MarkdownCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMarkdownCodeCut(t *testing.T) {
	got := MarkdownCode(strings.Repeat("é", MarkdownCellMax))
	if !strings.HasSuffix(got, "é… (400 bytes cut)`") || len(got) > MarkdownCellMax+40 {
		t.Errorf("MarkdownCode(long) = %q", got)
	}
}

func TestMarkdownTable(t *testing.T) {
	tbl := MarkdownTable{Heading: "h", Summary: "s", Header: []string{"A", "B"}, Rows: [][]string{{"1", "2"}, {"3", "4"}}}
	var b bytes.Buffer
	if err := tbl.Write(&b); err != nil {
		t.Fatal(err)
	}
	want := "## h\n\ns\n\n| A | B |\n| --- | --- |\n| 1 | 2 |\n| 3 | 4 |\n"
	if b.String() != want {
		t.Errorf("Write = %q, want %q", b.String(), want)
	}
	tbl.Limit = len(want) + 199 // one byte short of room for the last row and the notice
	b.Reset()
	if err := tbl.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), fmt.Sprintf("| 1 | 2 |\n\n**1 of 2 rows not shown**: the report is capped at %d bytes; `-o json` has them all.\n", tbl.Limit)) {
		t.Errorf("capped Write = %q", b.String())
	}
}
