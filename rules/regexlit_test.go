package rules

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

// TestRequiredLiterals checks the literals read off a few regexes.
func TestRequiredLiterals(t *testing.T) {
	for _, c := range []struct {
		re      string
		want    []string
		noASCII bool
	}{
		{`(?i)\b550:? : user unknown`, []string{" : user unknown"}, false},
		{`(?i)(does not exist|doesn't exist)`, []string{" not exist", "n't exist"}, false},
		{`(?i)after \d+ (delivery )?attempts`, []string{"attempts"}, false},
		{`(?i)a|b*`, nil, false},
		{`(?i)x?y{0,3}`, nil, false},
		{`(?i)(ab)+c`, []string{"ab"}, false},
		{`(?i)bo[iî]te`, []string{"bo"}, false},
		// a character that folds with an ASCII one is read as that one
		{`(?i)a\x{212a}bc`, []string{"akbc"}, false},
		{`(?i)\x{17f}ab`, []string{"sab"}, false},
		// a character that no ASCII one matches: no match on ASCII text
		{`(?i)état`, nil, true},
		{`(?i)a\x{e9}cdé`, nil, true},
		{`(?-i)\x{212a}elvin`, nil, true},
		{`(?i)ящик|boîte`, nil, true},
		{`(?i)(ящик|учетная запись)[^.;:]{0,40}заблокирован|(postfach|konto)[^.;:]{0,40}\b(gesperrt|deaktiviert)`,
			[]string{"gesperrt", "deaktiviert"}, false},
		{`(?i)(ящик|konto)x?zzzzzz`, []string{"zzzzzz"}, false},
		{`(?i)ящик|a*`, nil, false},
	} {
		got, noASCII := requiredLiterals(c.re)
		if strings.Join(got, "|") != strings.Join(c.want, "|") || noASCII != c.noASCII {
			t.Errorf("requiredLiterals(%q) = %q, %v, want %q, %v", c.re, got, noASCII, c.want, c.noASCII)
		}
	}
}

// TestRequiredLiteralsAgainstRegexp checks, on many random texts, that a
// regex never matches a text that mayMatch rules out: for the built-in
// rules' regexes and for random ones.
func TestRequiredLiteralsAgainstRegexp(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var srcs []string
	for _, r := range set.Rules {
		if r.re != nil {
			srcs = append(srcs, r.re.String())
		}
	}
	rng := rand.New(rand.NewSource(5))
	atoms := []string{"a", "b", "ab", "c", "é", "K", "\u212a", " ", "[ab]", `\d`, ".", `\b`, "^", "$"}
	for n := 0; n < 300; n++ {
		var b strings.Builder
		b.WriteString("(?i)")
		for k := rng.Intn(6) + 1; k > 0; k-- {
			a := atoms[rng.Intn(len(atoms))]
			switch rng.Intn(7) {
			case 0:
				a = "(" + a + "|" + atoms[rng.Intn(len(atoms))] + ")"
			case 1:
				a = "(?:" + a + ")+"
			case 2:
				a = "(?:" + a + ")?"
			case 3:
				a = "(?:" + a + "){1,2}"
			}
			b.WriteString(a)
		}
		srcs = append(srcs, b.String())
	}
	pieces := []string{"a", "b", "A", "B", "c", "k", "K", "\u212a", " ", "1", "é", "É", ".", "\n"}
	for _, src := range srcs {
		re := regexp.MustCompile(src)
		r := &Rule{re: re}
		r.reLits, r.reNoASCII = requiredLiterals(src)
		// texts made of the literals' pieces, and of random bytes
		var words []string
		for _, l := range r.reLits {
			words = append(words, l, strings.ToUpper(l))
		}
		words = append(words, pieces...)
		for k := 0; k < 400; k++ {
			var tb strings.Builder
			for j := rng.Intn(10); j > 0; j-- {
				w := words[rng.Intn(len(words))]
				if rng.Intn(3) == 0 && len(w) > 1 {
					w = w[:rng.Intn(len(w))]
				}
				tb.WriteString(w)
			}
			text := tb.String()
			s := &Subject{Text: text}
			s.Prepare()
			if re.MatchString(text) && !r.mayMatch(text, s.ascii) {
				t.Fatalf("regex %q matches %q, which mayMatch rules out (literals %q, no ASCII %v)", src, text, r.reLits, r.reNoASCII)
			}
		}
	}
}
