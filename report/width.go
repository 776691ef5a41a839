package report

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// colWidth is the number of terminal columns s takes: two for the wide and
// full-width characters of East Asian scripts, none for combining marks and
// other zero-width characters, one for the rest. Tables are aligned on it.
func colWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n += runeWidth(r)
		i += size
	}
	return n
}

func runeWidth(r rune) int {
	switch {
	case r < utf8.RuneSelf:
		return 1
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0 // combining marks, joiners, variation selectors' kin
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// cutWidth shortens s to at most n columns, ending it with "…" when it was cut.
func cutWidth(s string, n int) string {
	if colWidth(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	used := 0
	for i, r := range s {
		w := runeWidth(r)
		if used+w > n-1 {
			return strings.TrimRight(s[:i], " ") + "…"
		}
		used += w
	}
	return s
}
