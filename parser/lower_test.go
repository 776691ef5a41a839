package parser

import (
	"math/rand"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

// lowerRef is the plain definition of the parser's lower case: each rune
// as strings.ToLower writes it, unless that changes its length; a byte that
// is no UTF-8 as it is.
func lowerRef(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
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

// lowerMixed against lowerRef on texts of whole runes (upper and lower
// case, titlecase, ones whose lower case is ASCII or longer) and of bytes
// that are not UTF-8 (stray, surrogate, overlong, out of range).
func TestLowerMixedIsLowerRef(t *testing.T) {
	alpha := []string{"a", "Z", "@", " ", "É", "é", "İ", "\u212a", "ẞ", "Σ", "ǅ", "Ⱥ", "ȿ", "\uFFFD", "日",
		"\U0001F600", "\U00010400", "\xff", "\x80", "\xc2", "\xed\xa0\x80", "\xc0\x80", "\xf4\x90\x80\x80", "\xe6\x97",
		"\u3000", "\u9fff", "\ua000", "\ua640", "\xe3\x80", "\xe9", "\xbf"}
	rng := rand.New(rand.NewSource(5))
	for n := 0; n < 20000; n++ {
		var b strings.Builder
		for k := rng.Intn(16); k > 0; k-- {
			b.WriteString(alpha[rng.Intn(len(alpha))])
		}
		s := b.String()
		if got, want := lowerMixed(s), lowerRef(s); got != want || len(got) != len(s) {
			t.Fatalf("lowerMixed(%q) = %q, want %q", s, got, want)
		}
	}
}

// lowered.prefix against lowerText of the prefix, at every cut of texts
// like TestLowerMixedIsLowerRef's, runes cut in the middle included.
func TestPrefixIsLowerText(t *testing.T) {
	alpha := []string{"a", "Z", " ", "É", "é", "İ", "\u212a", "Σ", "Ѐ", "Ⱥ", "日", "\U0001F600", "\xff", "\xc2", "\xe6\x97", "\u3000"}
	rng := rand.New(rand.NewSource(7))
	for n := 0; n < 5000; n++ {
		var b strings.Builder
		for k := rng.Intn(12); k > 0; k-- {
			b.WriteString(alpha[rng.Intn(len(alpha))])
		}
		s := b.String()
		x := lowerText(s)
		for i := 0; i <= len(s); i++ {
			if got, want := x.prefix(i), lowerText(s[:i]); got != want {
				t.Fatalf("lowerText(%q).prefix(%d) = %+v, want %+v", s, i, got, want)
			}
		}
	}
}

// indexFold, lastIndexFold and lowered.contains against strings.Index,
// strings.LastIndex and strings.Contains over the lower-cased text.
func TestIndexFold(t *testing.T) {
	phrases := []string{"final-recipient:", "reporting-mta:", "rejected", "f", "ff", "f-", "f:f", "not a member"}
	pieces := []string{"final-", "FINAL-", "Final-Recipient:", "recipient:", "Reporting-MTA:", "reporting-mta", "REJECTED", "rejecte", "f", "F", " ", "\n", "@", "`", "É", "-", ":", "NOT A ", "member"}
	rng := rand.New(rand.NewSource(6))
	for n := 0; n < 20000; n++ {
		var b strings.Builder
		for k := rng.Intn(10); k > 0; k-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		s := b.String()
		x := lowerText(s)
		l := lowerRef(s)
		for _, p := range phrases {
			if x.contains(p) != strings.Contains(l, p) {
				t.Fatalf("contains(%q, %q) = %v", s, p, !strings.Contains(l, p))
			}
			if !isASCII(s) {
				continue
			}
			if got, want := indexFold(s, p), strings.Index(l, p); got != want {
				t.Fatalf("indexFold(%q, %q) = %d, want %d", s, p, got, want)
			}
			if got, want := lastIndexFold(s, p), strings.LastIndex(l, p); got != want {
				t.Fatalf("lastIndexFold(%q, %q) = %d, want %d", s, p, got, want)
			}
		}
		if got := x.search(); isASCII(s) && got != s || !isASCII(s) && got != l {
			t.Fatalf("search(%q) = %q", s, got)
		}
	}
}

func TestNoCase(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if noCase(r) && (unicode.ToLower(r) != r || r == utf8.RuneError) {
			t.Fatalf("noCase(%U), but unicode.ToLower gives %U", r, unicode.ToLower(r))
		}
	}
}

func TestIsASCII(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for n := 0; n < 20000; n++ {
		b := make([]byte, rng.Intn(40))
		for i := range b {
			b[i] = byte(rng.Intn(128))
		}
		if len(b) > 0 && n%2 == 0 {
			b[rng.Intn(len(b))] |= 0x80
		}
		s := string(b)
		want := true
		for _, c := range []byte(s) {
			want = want && c < 0x80
		}
		if isASCII(s) != want {
			t.Fatalf("isASCII(%q) = %v", s, !want)
		}
	}
}

// nameEq against strings.EqualFold, on the field names readFields and
// topFields take: ASCII ones, since isFieldName refuses others.
func TestNameEq(t *testing.T) {
	names := []string{"From", "from", "FROM", "Fro", "X-Failed-Recipients", "x-failed-recipients", "To", "to:", "k", "K", "s", "S", "Subject", "subjecT", ""}
	for _, a := range names {
		for _, b := range names {
			if got, want := nameEq(a, b), strings.EqualFold(a, b); got != want {
				t.Errorf("nameEq(%q, %q) = %v, want %v", a, b, got, want)
			}
		}
	}
	for _, n := range []string{"K\u212a", "\u212a", "\u017fubject", "Fröm"} {
		if isFieldName([]byte(n)) {
			t.Errorf("isFieldName(%q): a field name that is not ASCII", n)
		}
	}
}

func TestLoweredHolds(t *testing.T) {
	x := lowerText("Delivery to Bob@Example.ORG failed")
	assert.True(t, x.holds("bob@example.org"))
	assert.False(t, x.holds("ann@example.org"))
	assert.False(t, x.holds("zoë@example.org"), "a non-ASCII address is in no ASCII text")
	y := lowerText("Zustellung an Zoë@Bücher.example fehlgeschlagen")
	assert.True(t, y.holds("zoë@bücher.example"))
	assert.False(t, y.holds("bob@example.org"))
	assert.True(t, x.holds(""), "the empty string is in every text")
	assert.True(t, y.holds(""), "the empty string is in every text")
}
