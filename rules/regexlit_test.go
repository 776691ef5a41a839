package rules

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

// TestRegexNeeds checks the clauses read off a few regexes.
func TestRegexNeeds(t *testing.T) {
	for _, c := range []struct {
		re   string
		want string // the clauses, "|" between strings, " & " between clauses
	}{
		{`(?i)\b550:? : user unknown`, ": user unknown|ſ"},
		{`(?i)(does not exist|doesn't exist)`, "does|ſ & not exist|ſ|n't exist"},
		{`(?i)after \d+ (delivery )?attempts`, "after & attempts|ſ"},
		{`(?i)a|b*`, ""},
		{`(?i)x?y{0,3}`, ""},
		{`(?i)(ab)+c`, "ab & c"},
		{`(?i)bo[iî]te`, "bo & te"},
		// a space before a digit, where a reply code may start, ends a
		// piece; a piece starts after the characters of a code
		{`(?i)error 550-5.1.1 user`, "error & user|ſ"},
		{`(?i)x  y`, "x & y"},
		{`(?i)x\ty`, "x & y"},
		{`(?i)5.1.1`, ""},
		// a character that matches one lowering to another rune brings
		// that rune into the clause
		{`(?i)sab`, "sab|ſ"},
		{`(?i)a\x{212a}bc`, "akbc"},
		{`(?-i)sab`, "sab"},
		{`(?i)état`, "état"},
		{`(?i)ящик|boîte`, "ящик|boîte"},
		{`(?i)(ящик|учетная запись)[^.;:]{0,40}заблокирован|(postfach|konto)[^.;:]{0,40}\b(gesperrt|deaktiviert)`,
			"заблокирован|ᲂ|ᲀ|gesperrt|ſ|deaktiviert"},
		{`(?i)ящик|a*`, ""},
	} {
		var got []string
		for _, cl := range regexNeeds(c.re) {
			got = append(got, strings.Join(cl, "|"))
		}
		if g := strings.Join(got, " & "); g != c.want {
			t.Errorf("regexNeeds(%q) = %q, want %q", c.re, g, c.want)
		}
	}
}

// TestRegexNeedsAgainstRegexp checks, on many random texts, that a regex
// never matches a text that mayMatch rules out, or the index's check
// (regexMay): for the built-in rules' regexes and for random ones.
func TestRegexNeedsAgainstRegexp(t *testing.T) {
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
	atoms := []string{"a", "b", "ab", "c", "é", "K", "s", "σ", "\u212a", " ", "a b", "a 5", "550-", "5.1.1 ", "[ab]", `\d`, ".", `\b`, "^", "$", `\s`}
	for n := 0; n < 400; n++ {
		var b strings.Builder
		if rng.Intn(4) > 0 {
			b.WriteString("(?i)")
		}
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
	pieces := []string{"a", "b", "A", "B", "c", "k", "K", "s", "S", "ſ", "σ", "Σ", "ς", "\u212a", " ", "  ", "\t",
		"\u00a0", "1", "5", "550-", "550 ", "5.1.1 ", "-", "é", "É", ".", "\n", "\xff"}
	for _, src := range srcs {
		re := regexp.MustCompile(src)
		r := &Rule{Name: "r", re: re, reNeeds: regexNeeds(src)}
		x := buildIndex([]*Rule{r})
		// texts made of the clauses' strings, and of the pieces above
		var words []string
		for _, c := range r.reNeeds {
			for _, l := range c {
				words = append(words, l, strings.ToUpper(l))
			}
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
			x.scan(s)
			if re.MatchString(text) && (!r.mayMatch(s.lower) || !x.entries[0].regexMay(s.present)) {
				t.Fatalf("regex %q matches %q (folded %q), which the check rules out (clauses %q)", src, text, s.lower, r.reNeeds)
			}
		}
	}
}
