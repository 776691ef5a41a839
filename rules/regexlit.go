package rules

import (
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// regexNeeds returns what the folded form (Fold) of any text that the
// regular expression src matches must hold: clauses, each a list of
// strings of which the folded text holds one. It returns nil when it knows
// no such clause; the regex must then be run on every text.
//
// The strings are read off the regex's literals, and are looked for in the
// folded text, where the index's automaton finds them in the scan it makes
// for the phrases anyway: a regex whose clauses fail is not run at all, on
// ASCII text or not. A literal is taken in pieces that Fold keeps as they
// are but for case (see foldedPieces).
func regexNeeds(src string) [][]string {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil
	}
	clauses, ok := needsOf(re.Simplify())
	if !ok {
		return nil
	}
	return clauses
}

// needsOf returns clauses that the folded form of any text re matches
// meets (see regexNeeds), and ok false when it knows none.
func needsOf(re *syntax.Regexp) (clauses [][]string, ok bool) {
	switch re.Op {
	case syntax.OpLiteral:
		clauses = foldedPieces(re.Rune, re.Flags&syntax.FoldCase != 0)
		return clauses, len(clauses) > 0
	case syntax.OpCapture, syntax.OpPlus:
		return needsOf(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return needsOf(re.Sub[0])
		}
	case syntax.OpConcat:
		// every part is in a match: every part's clauses hold
		for _, sub := range re.Sub {
			if c, ok := needsOf(sub); ok {
				clauses = append(clauses, c...)
			}
		}
		return clauses, len(clauses) > 0
	case syntax.OpAlternate:
		// a match is one of the branches: one clause, made of a clause
		// of each branch (the one whose shortest string is the longest,
		// the rarest likely), and none when a branch has none
		var any []string
		for _, sub := range re.Sub {
			c, ok := needsOf(sub)
			if !ok {
				return nil, false
			}
			for _, s := range bestClause(c) {
				if !contains(any, s) {
					any = append(any, s)
				}
			}
		}
		return [][]string{any}, true
	}
	return nil, false
}

// bestClause returns the clause whose shortest string is the longest,
// leaving out the strings of one rune (those foldedClause adds, which are
// rare): it is likely the rarest.
func bestClause(clauses [][]string) []string {
	var best []string
	bestLen := -1
	for _, c := range clauses {
		n := 0
		for _, s := range c {
			if utf8.RuneCountInString(s) > 1 && (n == 0 || len(s) < n) {
				n = len(s)
			}
		}
		if n > bestLen {
			best, bestLen = c, n
		}
	}
	return best
}

// foldedPieces returns a clause for each piece of a literal (its runes,
// matched but for case when fold) that the folded form of a text holding
// the literal holds too: the piece lower-cased, or, for a rune that matches
// some character that lowers to another rune (the long s 'ſ' matches an
// 's', but stays 'ſ' when lowered), that other rune, added to the clause.
//
// Fold changes a text beyond its case only at white space, which it folds,
// and where a reply code starts a word, which it drops with its status code
// and the white space after them ("550-5.1.1 "). So a piece holds no white
// space but single spaces between other characters, none of them before a
// digit (where a reply code could start), and begins with a character that
// no reply or status code holds (a letter, "<", ...).
func foldedPieces(runes []rune, fold bool) [][]string {
	var clauses [][]string
	var piece []rune
	flush := func() {
		// the leading characters a reply code may hold, and trailing
		// spaces, are left out
		for len(piece) > 0 && inCode(piece[0]) {
			piece = piece[1:]
		}
		for len(piece) > 0 && piece[len(piece)-1] == ' ' {
			piece = piece[:len(piece)-1]
		}
		if len(piece) > 0 {
			clauses = append(clauses, foldedClause(piece, fold))
		}
		piece = piece[:0]
	}
	for i, r := range runes {
		keep := !foldSpace(r) && r != utf8.RuneError
		if r == ' ' {
			// a single space between characters kept, before no digit
			keep = i > 0 && i+1 < len(runes) && !foldSpace(runes[i-1])
			if keep {
				next := runes[i+1]
				keep = !foldSpace(next) && next != utf8.RuneError && !('0' <= next && next <= '9')
			}
		}
		if !keep {
			flush()
			continue
		}
		piece = append(piece, r)
	}
	flush()
	return clauses
}

// foldedClause returns the clause of a piece (see foldedPieces): the piece
// lower-cased as Fold lowers it, and the other lower cases of the
// characters its runes match.
func foldedClause(piece []rune, fold bool) []string {
	var b strings.Builder
	var others []string
	for _, r := range piece {
		l := unicode.ToLower(r)
		b.WriteRune(l)
		if !fold {
			continue
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if fl := unicode.ToLower(f); fl != l {
				if o := string(fl); !contains(others, o) {
					others = append(others, o)
				}
			}
		}
	}
	return append([]string{b.String()}, others...)
}

// foldSpace reports whether Fold takes r for white space.
func foldSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\f', '\v', 0xa0, 0x3000:
		return true
	}
	return false
}

// inCode reports whether r may be part of a reply code and status code
// that Fold drops ("550-5.1.1 ").
func inCode(r rune) bool {
	return r == ' ' || r == '-' || r == '.' || '0' <= r && r <= '9'
}

// mayMatch reports whether the regex of r may match a text whose folded
// form is lower: false only when one of its clauses (regexNeeds) fails.
func (r *Rule) mayMatch(lower string) bool {
	for _, c := range r.reNeeds {
		found := false
		for _, s := range c {
			if strings.Contains(lower, s) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// isASCII reports whether s holds only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
