package rules

import (
	"io"
	"math/bits"

	"github.com/bouncer-mail/bouncer/internal/multimatch"
)

var ioEOF = io.EOF

// index speeds up matching: one automaton over the phrases of all the rules
// finds, in a single pass over the folded text, which phrases are present;
// the rules are then tried in order against that set, so the first that
// matches still decides.
type index struct {
	// acASCII finds the phrases written in ASCII, acBeyond the others: an
	// ASCII text, which cannot hold the others, is scanned by acASCII
	// alone, whose table is small enough to miss the cache little; a text
	// beyond ASCII by both. (One automaton of all the phrases would have a
	// table several times the size of the two: each state of its ASCII
	// phrases would have a transition for every byte of the others.)
	acASCII, acBeyond *multimatch.Matcher
	entries           []entry
	pos               map[*Rule]int
	// users[id]: the entries that have phrase id among their phrases
	users [][]int32
}

// entry is a rule with its phrase lists as ids of the automaton.
type entry struct {
	rule            *Rule
	any, also, none []int32
	// the clauses of what the regex needs (regexNeeds), as ids: the
	// scan for the phrases finds them too
	needs [][]int32
}

func buildIndex(rules []*Rule) *index {
	ids := map[string]int32{}
	var phrases []string
	idsOf := func(list []string) []int32 {
		out := make([]int32, 0, len(list))
		for _, p := range list {
			id, ok := ids[p]
			if !ok {
				id = int32(len(phrases))
				ids[p] = id
				phrases = append(phrases, p)
			}
			out = append(out, id)
		}
		return out
	}
	x := &index{entries: make([]entry, len(rules)), pos: make(map[*Rule]int, len(rules))}
	for i, r := range rules {
		x.entries[i] = entry{rule: r, any: idsOf(r.phrases), also: idsOf(r.andPhrases), none: idsOf(r.notPhrases)}
		for _, c := range r.reNeeds {
			x.entries[i].needs = append(x.entries[i].needs, idsOf(c))
		}
		x.pos[r] = i
	}
	x.acASCII = multimatch.NewASCII(phrases)
	x.acBeyond = multimatch.NewBeyondASCII(phrases)
	x.users = make([][]int32, len(phrases))
	for i := range x.entries {
		for _, id := range x.entries[i].any {
			x.users[id] = append(x.users[id], int32(i))
		}
	}
	return x
}

// scan fills the subject's set of present phrases.
func (x *index) scan(s *Subject) {
	if !s.ready {
		s.Prepare()
	}
	if s.idx != x {
		s.present = x.acASCII.Scan(s.lower, s.present)
		if !s.ascii {
			s.present = x.acBeyond.ScanMore(s.lower, s.present)
		}
		// which entries have one of their phrases present
		n := (len(x.entries) + 63) / 64
		if cap(s.candidates) < n {
			s.candidates = make(phraseSet, n)
		}
		s.candidates = s.candidates[:n]
		clear(s.candidates)
		for w, bits := range s.present {
			for bits != 0 {
				id := w*64 + bits64(bits)
				bits &= bits - 1
				for _, e := range x.users[id] {
					s.candidates[e>>6] |= 1 << (uint(e) & 63)
				}
			}
		}
		s.idx = x
	}
}

// match returns the first rule from position start on that matches and for
// which want (when not nil) holds.
func (x *index) match(s *Subject, start int, want func(*Rule) bool) (*Rule, Hit) {
	x.scan(s)
	for i := start; i < len(x.entries); i++ {
		e := &x.entries[i]
		if len(e.any) > 0 && !s.candidates.Has(i) {
			continue // none of its phrases is present
		}
		if want != nil && !want(e.rule) {
			continue
		}
		if h, ok := e.rule.matchesWith(s, e); ok {
			return e.rule, h
		}
	}
	return nil, Hit{}
}

// phrases checks the rule's phrase conditions against the set of present
// phrases: it returns the first of the rule's phrases present (or of its
// and_phrases when it has no phrases), and false when a condition fails.
func (e *entry) phrases(present phraseSet) (string, bool) {
	{
		for _, id := range e.none {
			if present.Has(int(id)) {
				return "", false
			}
		}
		if len(e.also) > 0 {
			found := false
			for _, id := range e.also {
				if present.Has(int(id)) {
					found = true
					break
				}
			}
			if !found {
				return "", false
			}
		}
		for k, id := range e.any {
			if present.Has(int(id)) {
				return e.rule.phrases[k], true
			}
		}
		if len(e.any) > 0 {
			return "", false
		}
		for k, id := range e.also {
			if present.Has(int(id)) {
				return e.rule.andPhrases[k], true
			}
		}
		return "", true
	}
}

// regexMay is Rule.mayMatch with the set of present phrases: whether each
// clause of what the regex needs has a string present.
func (e *entry) regexMay(present phraseSet) bool {
	for _, c := range e.needs {
		found := false
		for _, id := range c {
			if present.Has(int(id)) {
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

// phraseSet is a set of phrase ids (or of entries).
type phraseSet = multimatch.Set

// bits64 is the index of the lowest set bit of a non-zero word.
func bits64(w uint64) int { return bits.TrailingZeros64(w) }
