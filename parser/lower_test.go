package parser

import (
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"
)

// lowerRef is the plain definition of lowerASCII's lower case: each rune
// as strings.ToLower writes it, unless that changes its length; a byte that
// is no UTF-8 as it is.
func lowerRef(s string) string {
	var b strings.Builder
	for i, r := range s {
		size := len(string(r))
		if r == utf8.RuneError {
			_, size = utf8.DecodeRuneInString(s[i:])
		}
		orig := s[i : i+size]
		if l := strings.ToLower(orig); len(l) == size && r != utf8.RuneError {
			b.WriteString(l)
		} else {
			b.WriteString(orig)
		}
	}
	return b.String()
}

func TestToLowerKeepsLength(t *testing.T) {
	texts := []string{"", "a", "A", "abc", "ABC", "aBc", "Ünïcode", "abcÉ", "ABCÉ", "x\u212a", "İ", "\xff", "A\xffB", "Z@[`{"}
	rng := rand.New(rand.NewSource(3))
	alpha := "aZ@[`{ \x7f\x80Éİ\u212a"
	for n := 0; n < 2000; n++ {
		var b strings.Builder
		for k := rng.Intn(20); k > 0; k-- {
			b.WriteByte(alpha[rng.Intn(len(alpha))])
		}
		texts = append(texts, b.String())
	}
	for _, s := range texts {
		l, ascii := lowerASCII(s)
		if want := lowerRef(s); l != want || ascii != isASCII(s) || len(l) != len(s) {
			t.Fatalf("lowerASCII(%q) = %q, %v, want %q, %v", s, l, ascii, want, isASCII(s))
		}
	}
}

func TestJoinFieldsIsJoinOfFields(t *testing.T) {
	texts := []string{"", " ", "a", " a", "a ", "a b", "a  b", "a\tb", " a b ", "a\u00a0b", "a\u0085b", "\u3000", "a\xffb", "\xc2", "a\xc2 b"}
	rng := rand.New(rand.NewSource(4))
	alpha := []string{"a", "b", " ", "  ", "\t", "\n", "\r", "\v", "\f", "\u00a0", "\u0085", "\u2028", "\u3000", "\xff", "\xc2", "é", "\u200b"}
	for n := 0; n < 5000; n++ {
		var b strings.Builder
		for k := rng.Intn(12); k > 0; k-- {
			b.WriteString(alpha[rng.Intn(len(alpha))])
		}
		texts = append(texts, b.String())
	}
	for _, s := range texts {
		if got, want := joinFields(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Fatalf("joinFields(%q) = %q, want %q", s, got, want)
		}
	}
}
