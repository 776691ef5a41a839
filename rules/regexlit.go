package rules

import (
	"regexp/syntax"
	"unicode"
)

// requiredLiterals returns strings of which any match of the regular
// expression src must hold one, compared without ASCII case: lower-case
// ASCII literals read off its syntax tree. It returns nil when it finds none
// it is sure of; the regex must then be run on every text. noASCII reports
// instead that the regex cannot match an ASCII text at all: every branch
// needs a character that no ASCII character matches ("ящик|boîte").
//
// On ASCII text, a (?i) literal matches exactly the bytes that equal it but
// for the case of ASCII letters (the other characters that fold to an ASCII
// letter, such as the Kelvin sign, are not ASCII), so a text without any of
// the literals cannot match, and the regex need not run on it.
func requiredLiterals(src string) (lits []string, noASCII bool) {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil, false
	}
	lits, never, ok := literalsOf(re.Simplify())
	if !ok {
		return nil, false
	}
	return lits, never
}

// literalsOf returns literals of which any match of re holds one, and ok
// false when it knows none. never (with ok) reports instead that re cannot
// match an ASCII text.
func literalsOf(re *syntax.Regexp) (lits []string, never, ok bool) {
	switch re.Op {
	case syntax.OpLiteral:
		fold := re.Flags&syntax.FoldCase != 0
		for _, r := range re.Rune {
			if !matchesASCII(r, fold) {
				return nil, true, true
			}
		}
		// the longest run of ASCII characters, lower-cased: a match
		// holds it, the other characters matching what they match
		var b []byte
		best := ""
		for i, r := range re.Rune {
			if r < 0x80 {
				if 'A' <= r && r <= 'Z' {
					r += 'a' - 'A'
				}
				b = append(b, byte(r))
			}
			if r >= 0x80 || i == len(re.Rune)-1 {
				if len(b) > len(best) {
					best = string(b)
				}
				b = b[:0]
			}
		}
		if best == "" {
			return nil, false, false
		}
		return []string{best}, false, true
	case syntax.OpCapture, syntax.OpPlus:
		return literalsOf(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return literalsOf(re.Sub[0])
		}
	case syntax.OpConcat:
		// every part is in a match: none when one part cannot match
		// ASCII text; else take the part whose literals are the longest
		// (the rarest, likely)
		var best []string
		bestLen := 0
		for _, sub := range re.Sub {
			lits, never, ok := literalsOf(sub)
			if never {
				return nil, true, true
			}
			if !ok {
				continue
			}
			n := len(lits[0])
			for _, l := range lits {
				n = min(n, len(l))
			}
			if n > bestLen {
				best, bestLen = lits, n
			}
		}
		return best, false, best != nil
	case syntax.OpAlternate:
		// a match is one of the branches: each must have literals, or
		// be unable to match ASCII text (and then adds none)
		var all []string
		for _, sub := range re.Sub {
			lits, never, ok := literalsOf(sub)
			if !ok {
				return nil, false, false
			}
			if !never {
				all = append(all, lits...)
			}
		}
		return all, len(all) == 0, true
	}
	return nil, false, false
}

// matchesASCII reports whether the literal character r matches some ASCII
// character: r is ASCII, or, under case folding, one of the characters it
// folds with is (the Kelvin sign and 'k', 'ſ' and 's').
func matchesASCII(r rune, fold bool) bool {
	if r < 0x80 {
		return true
	}
	if fold {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < 0x80 {
				return true
			}
		}
	}
	return false
}

// mayMatch reports whether the regex of r may match text: false only when
// text is ASCII (ascii) and the regex cannot match ASCII text or the text
// holds none of its required literals.
func (r *Rule) mayMatch(text string, ascii bool) bool {
	if !ascii {
		return true
	}
	if r.reNoASCII {
		return false
	}
	if len(r.reLits) == 0 {
		return true
	}
	for _, l := range r.reLits {
		if containsFoldASCII(text, l) {
			return true
		}
	}
	return false
}

// containsFoldASCII reports whether text holds lit (lower-case) but for the
// case of ASCII letters.
func containsFoldASCII(text, lit string) bool {
	c0 := lit[0]
	u0 := c0
	if 'a' <= c0 && c0 <= 'z' {
		u0 -= 'a' - 'A'
	}
	for i := 0; i+len(lit) <= len(text); i++ {
		if c := text[i]; c != c0 && c != u0 {
			continue
		}
		if equalFoldASCII(text[i:i+len(lit)], lit) {
			return true
		}
	}
	return false
}

// equalFoldASCII reports whether s equals lit (lower-case, as long as s)
// but for the case of ASCII letters.
func equalFoldASCII(s, lit string) bool {
	for j := 0; j < len(lit); j++ {
		c := s[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lit[j] {
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
