package parser

import "strings"

// lowered is a text with its lower-case form, made once and shared by the
// phrase searches.
type lowered struct {
	t, l  string
	ascii bool // t is ASCII: l is as long as t and aligned with it
}

func lowerText(t string) lowered {
	return lowered{t: t, l: strings.ToLower(t), ascii: isASCII(t)}
}

// prefix returns the lowered form of t[:n], without lower-casing again when
// the text is ASCII.
func (x lowered) prefix(n int) lowered {
	if x.ascii {
		return lowered{t: x.t[:n], l: x.l[:n], ascii: true}
	}
	return lowerText(x.t[:n])
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// phrase is a string searched for by its rarest byte, which the fast byte
// search skips to, rather than by its first one (often a common letter).
type phrase struct {
	s string
	k int // offset of the anchor byte in s
}

// byteRank orders bytes from common to rare in the text of bounces; bytes not
// listed count as rare.
const byteRank = " etaoinsrhldcumpfgywb-.vk:<>@x,/'0125()[]\"#;=_j"

func newPhrase(s string) phrase {
	best, rank := 0, -1
	for i := 0; i < len(s); i++ {
		r := strings.IndexByte(byteRank, s[i])
		if r < 0 {
			r = len(byteRank)
		}
		if r > rank {
			best, rank = i, r
		}
	}
	return phrase{s: s, k: best}
}

func newPhrases(ss []string) []phrase {
	out := make([]phrase, len(ss))
	for i, s := range ss {
		out[i] = newPhrase(s)
	}
	return out
}

// index is strings.Index(l, p.s).
func (p phrase) index(l string) int {
	c := p.s[p.k]
	misses := 0
	for i := p.k; i < len(l); i++ {
		j := strings.IndexByte(l[i:], c)
		if j < 0 {
			return -1
		}
		i += j
		st := i - p.k
		if st+len(p.s) <= len(l) && l[st:st+len(p.s)] == p.s {
			return st
		}
		if misses++; misses > 16 {
			// the anchor is common here after all
			if n := strings.Index(l[st+1:], p.s); n >= 0 {
				return st + 1 + n
			}
			return -1
		}
	}
	return -1
}

func (p phrase) in(l string) bool { return p.index(l) >= 0 }
