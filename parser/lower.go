package parser

import (
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// lowered is a text with the form the phrase searches read: an ASCII text
// is searched as it is, by matchers that fold case (multimatch.NewFold) or
// by indexFold, and one that is not ASCII in its lower-case form, made once
// and shared by the searches.
type lowered struct {
	t     string
	l     string // lowerMixed(t) when t is not ASCII, as long as t and aligned with it; "" when ASCII
	ascii bool   // t is ASCII
}

func lowerText(t string) lowered {
	if isASCII(t) {
		return lowered{t: t, ascii: true}
	}
	return lowered{t: t, l: lowerMixed(t)}
}

// search returns the form of the text the case-folding matchers search:
// the text itself when it is ASCII, else its lower-case form.
func (x lowered) search() string {
	if x.ascii {
		return x.t
	}
	return x.l
}

// contains reports whether the lower-case form of the text holds p, a
// lower-case ASCII phrase that starts with a letter.
func (x lowered) contains(p string) bool {
	if x.ascii {
		return indexFold(x.t, p) >= 0
	}
	return strings.Contains(x.l, p)
}

// searchForm is lowered.search for a text that is searched once: s itself
// when it is ASCII, else lowerMixed(s).
func searchForm(s string) string {
	if isASCII(s) {
		return s
	}
	return lowerMixed(s)
}

// holds reports whether the text holds a, a lower-case address (or any
// lower-case string with a caseless byte, such as "@"), but for case.
func (x lowered) holds(a string) bool {
	if a == "" {
		// in every text, as for strings.Contains (a DSN recipient
		// without an address asks; indexFold takes no empty phrase)
		return true
	}
	if x.ascii {
		return isASCII(a) && indexFold(x.t, a) >= 0
	}
	return strings.Contains(x.l, a)
}

// indexFold is strings.Index(strings.ToLower(s), p) for an ASCII text s and
// a lower-case ASCII phrase p that starts with a letter. The candidates are
// found with strings.IndexByte on a byte of p that has no case, when there
// is one.
func indexFold(s, p string) int {
	k := caselessAt(p)
	if k < 0 {
		for i := 0; i+len(p) <= len(s); i++ {
			if s[i]|0x20 == p[0] && hasPrefixFold(s, i, p) {
				return i
			}
		}
		return -1
	}
	for from := k; from < len(s); {
		j := strings.IndexByte(s[from:], p[k])
		if j < 0 {
			return -1
		}
		i := from + j - k // where p would start
		if i+len(p) > len(s) {
			return -1
		}
		if hasPrefixFold(s, i, p) {
			return i
		}
		from += j + 1
	}
	return -1
}

// lastIndexFold is strings.LastIndex(strings.ToLower(s), p) for an ASCII
// text s and a lower-case ASCII phrase p that starts with a letter.
func lastIndexFold(s, p string) int {
	k := caselessAt(p)
	if k < 0 {
		for i := len(s) - len(p); i >= 0; i-- {
			if s[i]|0x20 == p[0] && hasPrefixFold(s, i, p) {
				return i
			}
		}
		return -1
	}
	for end := len(s); ; {
		j := strings.LastIndexByte(s[:end], p[k])
		if j < k {
			return -1
		}
		i := j - k // where p would start
		if i+len(p) <= len(s) && hasPrefixFold(s, i, p) {
			return i
		}
		end = j
	}
}

// caselessAt returns the index of the first byte of p that is not a letter
// (and so is matched only by itself), or -1.
func caselessAt(p string) int {
	for k := 0; k < len(p); k++ {
		if c := p[k]; !('a' <= c && c <= 'z') {
			return k
		}
	}
	return -1
}

// toLower is the lower case of s (lowerMixed's, which keeps every byte in
// place), in one pass and one copy on ASCII text.
func toLower(s string) string {
	l, _ := lowerASCII(s)
	return l
}

// lowerASCII returns the lower case of s (as toLower), and whether s is
// ASCII.
func lowerASCII(s string) (string, bool) {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return lowerMixed(s), false
		}
		if 'A' <= c && c <= 'Z' {
			break
		}
	}
	if i == len(s) {
		return s, true // nothing to lower
	}
	b := make([]byte, len(s))
	copy(b, s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return lowerMixed(s), false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return unsafe.String(&b[0], len(b)), true
}

// lowerMixed lower-cases a text that is not all ASCII, in one pass, keeping
// every byte where it is: ASCII bytes are lowered as they are, the other
// runes as unicode.ToLower does it, except a rune whose lower case is
// written with another number of bytes ('İ', 'Ⱥ', the Kelvin sign) and a
// byte that is not UTF-8, which are kept as they are (strings.ToLower would
// change the text's length there, and an index into the lower case would no
// longer be an index into s). It spares strings.Map's call and rune decoding
// per ASCII byte, the bulk of most texts.
func lowerMixed(s string) string {
	b := make([]byte, 0, len(s))
	done := 0 // s[:done] is in b; the bytes from done on that do not change are copied in runs
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				b = append(b, s[done:i]...)
				b = append(b, c+'a'-'A')
				done = i + 1
			}
			i++
			continue
		}
		if 0xe3 <= c && c <= 0xe9 && i+2 < len(s) && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80 {
			// a rune from U+3000 to U+9FFF (kana, CJK, ...): no case
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !noCase(r) && r != utf8.RuneError {
			if l := unicode.ToLower(r); l != r && utf8.RuneLen(l) == size {
				b = append(b, s[done:i]...)
				b = utf8.AppendRune(b, l)
				done = i + size
			}
		}
		i += size
	}
	b = append(b, s[done:]...)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// noCase reports whether r lies in a block of scripts without case, from
// the CJK symbols to Vai (U+3000 to U+A63F: kana, CJK ideographs, Yi, ...),
// which unicode.ToLower leaves as they are (a test checks each of them).
func noCase(r rune) bool {
	return 0x3000 <= r && r < 0xa640
}

// prefix returns the lowered form of t[:n], without looking at the text
// again when it is ASCII. Else its lower case is l[:n] (lowerMixed lowers
// each rune in place, on its own) unless n cuts a rune, which
// lowerMixed(t[:n]) reads as stray bytes: only then is it lowered anew.
func (x lowered) prefix(n int) lowered {
	if x.ascii {
		return lowered{t: x.t[:n], ascii: true}
	}
	t := x.t[:n]
	if isASCII(t) {
		return lowered{t: t, ascii: true}
	}
	if n == len(x.t) || utf8.RuneStart(x.t[n]) {
		return lowered{t: t, l: x.l[:n]}
	}
	return lowerText(t)
}

// joinFields is strings.Join(strings.Fields(s), " "): the words of s, one
// space between them. It returns s itself when s is so already, and else
// copies it once.
func joinFields(s string) string {
	if folded(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	start := -1 // where the current word began
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf && !asciiSpace[c] {
			// an ASCII byte of a word, the common case, tested inline
			if start < 0 {
				start = i
			}
			i++
			continue
		}
		sp, size := spaceAt(s, i)
		if sp {
			if start >= 0 {
				if len(b) > 0 {
					b = append(b, ' ')
				}
				b = append(b, s[start:i]...)
				start = -1
			}
		} else if start < 0 {
			start = i
		}
		i += size
	}
	if start >= 0 {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, s[start:]...)
	}
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// folded reports whether joinFields(s) is s: no space at either end, and
// single ' ' between words.
func folded(s string) bool {
	prevSpace := true // at the start, a space is not allowed
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf && !asciiSpace[c] {
			// an ASCII byte of a word, the common case, tested inline
			prevSpace = false
			i++
			continue
		}
		sp, size := spaceAt(s, i)
		if sp {
			if prevSpace || s[i] != ' ' {
				return false
			}
		}
		prevSpace = sp
		i += size
	}
	return !prevSpace || len(s) == 0
}

// spaceAt reports whether a white space character (as strings.Fields sees
// it) begins at s[i], and its size.
func spaceAt(s string, i int) (bool, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return asciiSpace[c], 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	return unicode.IsSpace(r), size
}

var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// isASCII reports whether s is all ASCII, looking at eight bytes a step.
func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8]
		if (w[0]|w[1]|w[2]|w[3]|w[4]|w[5]|w[6]|w[7])&0x80 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
