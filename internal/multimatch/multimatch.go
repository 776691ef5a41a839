// Package multimatch finds many phrases in a text in one pass.
//
// A Matcher is an Aho-Corasick automaton over bytes: built once from a list of
// phrases, it reports in a single pass over a text which phrases occur, where
// they occur, or which one starts first. Phrases are compared byte for byte,
// so a search behaves as strings.Index would for each phrase: callers that
// want case-insensitive matching lower-case both the phrases and the text.
//
// The automaton is a complete DFA (failure links resolved at build time) over
// byte classes: the bytes that occur in some phrase each get a class, every
// other byte shares class 0, so the table stays small while the scan is one
// load per byte.
package multimatch

import (
	"math/bits"
	"slices"
)

// A Matcher finds the phrases it was built from. The id of a phrase is its
// index in the list given to New. A Matcher is safe for concurrent use.
type Matcher struct {
	classes [256]int32
	nclass  int32
	// delta[s+class] is the next state, premultiplied by nclass; outFlag
	// is set when that state ends some phrase.
	delta []int32
	out   [][]int32 // state (not premultiplied) -> ids of the phrases it ends
	depth []int32   // state (not premultiplied) -> its depth in the trie
	// recip is 2^32/nclass rounded up: (s*recip)>>32 is s/nclass for a
	// premultiplied state s, without a division (see extend)
	recip   uint64
	lens    []int // id -> length of the phrase
	maxLen  int
	phrases []string
}

const outFlag = -1 << 31

// New builds the matcher of the phrases. Phrases must be non-empty; a phrase
// listed twice is reported under each of its ids.
func New(phrases []string) *Matcher { return build(phrases, all) }

// NewASCII builds a matcher of the phrases (as New) that searches ASCII
// texts only. The phrases that hold a byte beyond ASCII, which such a text
// cannot hold, are left out of the automaton: they keep their ids and are
// never found. Its table is smaller (fewer states, fewer byte classes), and
// so its scans are faster, for a list with phrases in other scripts. On a
// text beyond ASCII it finds the ASCII phrases, as New's matcher would.
func NewASCII(phrases []string) *Matcher { return build(phrases, asciiOnly) }

// NewBeyondASCII builds a matcher of the phrases (as New) that finds only
// those that hold a byte beyond ASCII: the others keep their ids and are
// never found. With NewASCII's matcher of the same list, it splits New's
// table in two much smaller ones: a text beyond ASCII is searched by both,
// the second adding what it finds (ScanMore) to what the first found.
func NewBeyondASCII(phrases []string) *Matcher { return build(phrases, beyondASCIIOnly) }

// which phrases a matcher is built from
const (
	all = iota
	asciiOnly
	beyondASCIIOnly
)

// build builds the matcher of the phrases, of those the mode keeps.
func build(phrases []string, mode int) *Matcher {
	m := &Matcher{phrases: phrases, lens: make([]int, len(phrases))}
	var used [256]bool
	in := make([]bool, len(phrases)) // the phrases in the automaton
	var kept []string
	for id, p := range phrases {
		if p == "" {
			panic("multimatch: empty phrase")
		}
		m.lens[id] = len(p)
		if mode == asciiOnly && !isASCII(p) || mode == beyondASCIIOnly && isASCII(p) {
			continue
		}
		in[id] = true
		kept = append(kept, p)
		m.maxLen = max(m.maxLen, len(p))
		for i := 0; i < len(p); i++ {
			used[p[i]] = true
		}
	}
	m.maxLen = max(m.maxLen, 1) // for halves, when no phrase is in
	// Classes are numbered in classOrder, common bytes first: a state's
	// transitions on the bytes of plain English text sit side by side in
	// its row, on few cache lines, whatever other bytes the phrases hold.
	for _, c := range classOrder {
		if used[c] {
			m.nclass++
			m.classes[c] = m.nclass
		}
	}
	m.nclass++ // class 0: bytes in no phrase
	nc := int(m.nclass)
	m.recip = (1<<32 + uint64(nc) - 1) / uint64(nc)

	// The trie, with goto transitions in the table (-1: none yet), states
	// not premultiplied while building. The table is made once at its
	// size, never copied as it grows: a list of phrases in many scripts
	// makes one of megabytes.
	states := trieStates(kept)
	delta := make([]int32, 0, states*nc)
	m.out = make([][]int32, 0, states)
	m.depth = make([]int32, 0, states)
	newState := func() int32 {
		n := len(delta)
		delta = delta[:n+nc]
		for i := n; i < n+nc; i++ {
			delta[i] = -1
		}
		m.out = append(m.out, nil)
		m.depth = append(m.depth, 0)
		return int32(len(m.out) - 1)
	}
	newState()
	for id, p := range phrases {
		if !in[id] {
			continue
		}
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := int(m.classes[p[i]])
			next := delta[int(s)*nc+c]
			if next < 0 {
				next = newState()
				delta[int(s)*nc+c] = next
				m.depth[next] = int32(i + 1)
			}
			s = next
		}
		m.out[s] = append(m.out[s], int32(id))
	}

	// Breadth-first: failure links, then fill the missing transitions with
	// those of the failure state, and inherit its outputs.
	fail := make([]int32, len(m.out))
	queue := make([]int32, 0, len(m.out))
	for c := 0; c < nc; c++ {
		t := delta[c]
		if t < 0 {
			delta[c] = 0
			continue
		}
		fail[t] = 0
		queue = append(queue, t)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if f := fail[s]; len(m.out[f]) > 0 {
			m.out[s] = append(m.out[s], m.out[f]...)
		}
		for c := 0; c < nc; c++ {
			t := delta[int(s)*nc+c]
			if t < 0 {
				delta[int(s)*nc+c] = delta[int(fail[s])*nc+c]
				continue
			}
			fail[t] = delta[int(fail[s])*nc+c]
			queue = append(queue, t)
		}
	}

	// Premultiply the targets and flag those that end a phrase.
	for i, t := range delta {
		v := t * int32(nc)
		if len(m.out[t]) > 0 {
			v |= outFlag
		}
		delta[i] = v
	}
	m.delta = delta
	return m
}

// trieStates returns the number of states of the trie of the phrases: the
// root and one per distinct prefix. Sorted, each phrase adds the bytes it
// does not share with the one before it.
func trieStates(phrases []string) int {
	sorted := slices.Clone(phrases)
	slices.Sort(sorted)
	n, prev := 1, ""
	for _, p := range sorted {
		common := 0
		for common < len(p) && common < len(prev) && p[common] == prev[common] {
			common++
		}
		n += len(p) - common
		prev = p
	}
	return n
}

// classOrder lists every byte value once, those most frequent in mail text
// first: lower-case letters, space, digits, punctuation, upper-case letters,
// the other ASCII bytes, then the bytes of non-ASCII characters.
var classOrder = func() []byte {
	var order []byte
	var seen [256]bool
	add := func(s string) {
		for i := 0; i < len(s); i++ {
			if !seen[s[i]] {
				seen[s[i]] = true
				order = append(order, s[i])
			}
		}
	}
	add("etaoinsrhldcumfpgwybvkxjqz 0123456789.:-@<>,;()'\"/_=[]!?#%&*+$~{}|^`")
	add("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	for c := 0; c < 256; c++ {
		add(string([]byte{byte(c)}))
	}
	return order
}()

// NewFold builds the matcher of the phrases, which must hold no upper-case
// ASCII letter, that also takes an upper-case ASCII letter of the text for
// its lower-case one: a search of an ASCII text t finds what a search of
// strings.ToLower(t) would, without lower-casing it. Other bytes are compared
// as they are, so a text that is not all ASCII is lower-cased first, as for
// New; the lower-cased text is searched the same by both matchers.
func NewFold(phrases []string) *Matcher {
	checkLower(phrases)
	return foldASCII(New(phrases))
}

// NewFoldASCII is NewFold for a matcher that searches ASCII texts only, as
// NewASCII.
func NewFoldASCII(phrases []string) *Matcher {
	checkLower(phrases)
	return foldASCII(NewASCII(phrases))
}

// foldASCII makes m take an upper-case ASCII letter for its lower-case one.
func foldASCII(m *Matcher) *Matcher {
	for c := 'A'; c <= 'Z'; c++ {
		m.classes[c] = m.classes[c+'a'-'A']
	}
	return m
}

// checkLower panics on a phrase with an upper-case ASCII letter, which a
// matcher that folds case would never find.
func checkLower(phrases []string) {
	for _, p := range phrases {
		for i := 0; i < len(p); i++ {
			if 'A' <= p[i] && p[i] <= 'Z' {
				panic("multimatch: upper-case phrase for NewFold: " + p)
			}
		}
	}
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

// Len returns the number of phrases.
func (m *Matcher) Len() int { return len(m.phrases) }

// Phrase returns the phrase of an id.
func (m *Matcher) Phrase(id int) string { return m.phrases[id] }

// A Set is a set of phrase ids.
type Set []uint64

// Has reports whether id is in the set.
func (s Set) Has(id int) bool { return s[id>>6]&(1<<(uint(id)&63)) != 0 }

// Lowest returns the lowest id in the set, or -1 when it is empty.
func (s Set) Lowest() int {
	for i, w := range s {
		if w != 0 {
			return i*64 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

// Scan returns the set of phrases that occur in text, reusing buf.
func (m *Matcher) Scan(text string, buf Set) Set {
	n := (len(m.phrases) + 63) / 64
	if cap(buf) < n {
		buf = make(Set, n)
	}
	buf = buf[:n]
	clear(buf)
	return m.ScanMore(text, buf)
}

// ScanMore is Scan that adds the phrases it finds to those already in buf,
// which must be the set of a scan for the same list of phrases.
func (m *Matcher) ScanMore(text string, buf Set) Set {
	if len(m.phrases) == 0 {
		return buf
	}
	nc := m.nclass
	m.scanLanes(text, func(s int32) bool {
		for _, id := range m.out[(s&^outFlag)/nc] {
			buf[id>>6] |= 1 << (uint(id) & 63)
		}
		return false
	})
	return buf
}

// scanLanes runs the automaton over text and calls hit with each state that
// ends one phrase or more (its output flag set); it stops when hit returns
// true. A state may be reported twice for one occurrence: callers collect a
// set. A long text is cut in four quarters, scanned side by side (see
// extend).
func (m *Matcher) scanLanes(text string, hit func(s int32) bool) {
	delta, classes := m.delta, &m.classes
	if len(text) >= minScanLanes {
		// Four lanes side by side: the scan of one waits on each step's
		// table load, four overlap theirs. Each lane starts in the root
		// state at its quarter's start; the last goes on alone to the end,
		// the others past their quarter's end as far as extend says.
		q := len(text) / 4
		t0, t1, t2, t3 := text[:q], text[q:2*q], text[2*q:3*q], text[3*q:]
		var s0, s1, s2, s3 int32
		for i := 0; i < q; i++ {
			s0 = delta[s0+classes[t0[i]]]
			s1 = delta[s1+classes[t1[i]]]
			s2 = delta[s2+classes[t2[i]]]
			s3 = delta[s3+classes[t3[i]]]
			if s0|s1|s2|s3 < 0 {
				if s0 < 0 {
					if hit(s0) {
						return
					}
					s0 &^= outFlag
				}
				if s1 < 0 {
					if hit(s1) {
						return
					}
					s1 &^= outFlag
				}
				if s2 < 0 {
					if hit(s2) {
						return
					}
					s2 &^= outFlag
				}
				if s3 < 0 {
					if hit(s3) {
						return
					}
					s3 &^= outFlag
				}
			}
		}
		for i := q; i < len(t3); i++ {
			s3 = delta[s3+classes[t3[i]]]
			if s3 < 0 {
				if hit(s3) {
					return
				}
				s3 &^= outFlag
			}
		}
		_ = m.extend(text, q, s0, hit) || m.extend(text, 2*q, s1, hit) || m.extend(text, 3*q, s2, hit)
		return
	}
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = delta[s+classes[text[i]]]
		if s < 0 {
			if hit(s) {
				return
			}
			s &^= outFlag
		}
	}
}

// extend goes on with a lane of scanLanes that stopped at text[from] in
// state s (premultiplied, its flag cleared) for as long as an occurrence
// that began before from may still end: while the state's depth (the
// length of the longest phrase prefix ending there) exceeds the bytes read
// since from. From there on, the lane's state is the one the lane that
// started at from has reached too, and that lane sees the rest. It reports
// true when hit did.
func (m *Matcher) extend(text string, from int, s int32, hit func(s int32) bool) bool {
	delta, classes := m.delta, &m.classes
	// s is k*nc, and recip (2^32+r)/nc with r < nc: s*recip is
	// k*2^32 + k*r, with k*r < 2^31 since k < 2^31/nc
	for i := from; i < len(text) && int(m.depth[uint64(s)*m.recip>>32]) > i-from; i++ {
		s = delta[s+classes[text[i]]]
		if s < 0 {
			if hit(s) {
				return true
			}
			s &^= outFlag
		}
	}
	return false
}

// minLanes is the length from which Ends scans a text in two lanes: the
// scan of one lane waits on each step's table load, two lanes overlap them.
const minLanes = 256

// minScanLanes is the length from which scanLanes (Scan, First) scans a
// text in four lanes: each quarter costs at most a few steps more.
const minScanLanes = 64

// halves splits a text in two, the second beginning maxLen-1 bytes before
// the middle, so that every occurrence of a phrase lies whole in one piece:
// in a when it ends before the middle, in b otherwise. len(a) <= len(b).
func (m *Matcher) halves(text string) (a, b string) {
	mid := len(text) / 2
	return text[:mid], text[max(0, mid-m.maxLen+1):]
}

// Any reports whether some phrase occurs in text. It stops at the first one
// it finds.
func (m *Matcher) Any(text string) bool {
	if len(m.phrases) == 0 {
		return false
	}
	found := false
	m.scanLanes(text, func(int32) bool {
		found = true
		return true
	})
	return found
}

// First returns the lowest id among the phrases that occur in text, or -1:
// the first phrase of the list that strings.Contains would find.
func (m *Matcher) First(text string) int {
	if len(m.phrases) == 0 {
		return -1
	}
	nc := m.nclass
	best := int32(-1)
	m.scanLanes(text, func(s int32) bool {
		for _, id := range m.out[(s&^outFlag)/nc] {
			if best < 0 || id < best {
				best = id
			}
		}
		return best == 0
	})
	return int(best)
}

// Leftmost returns where the earliest occurrence of any phrase starts in
// text, and the phrase's id (the lowest, when several start there); -1, -1
// when none occurs.
func (m *Matcher) Leftmost(text string) (start, id int) {
	start, id = -1, -1
	if len(m.phrases) == 0 {
		return
	}
	delta, classes := m.delta, &m.classes
	nc := m.nclass
	s := int32(0)
	for i := 0; i < len(text); i++ {
		if start >= 0 && i-m.maxLen+1 > start {
			break // whatever ends from here on starts later
		}
		s = delta[s+classes[text[i]]]
		if s < 0 {
			s &^= outFlag
			for _, p := range m.out[s/nc] {
				st := i - m.lens[p] + 1
				if start < 0 || st < start || st == start && int(p) < id {
					start, id = st, int(p)
				}
			}
		}
	}
	return start, id
}

// A Match is an occurrence of a phrase: text[Start:End] is phrase ID.
type Match struct {
	ID         int
	Start, End int
}

// All appends to buf every occurrence of every phrase in text, overlapping
// ones included, ordered by where they end (and, for those ending at the same
// byte, longest first).
func (m *Matcher) All(text string, buf []Match) []Match {
	if len(m.phrases) == 0 {
		return buf
	}
	delta, classes := m.delta, &m.classes
	nc := m.nclass
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = delta[s+classes[text[i]]]
		if s < 0 {
			s &^= outFlag
			for _, p := range m.out[s/nc] {
				buf = append(buf, Match{ID: int(p), Start: i + 1 - m.lens[p], End: i + 1})
			}
		}
	}
	return buf
}

// Ends sets ends[id] to where the first occurrence of each phrase in text ends
// (the index after its last byte), or -1 when it does not occur, reusing buf.
//
// With stopBelow > 0, the phrases whose ids are below stopBelow mark where
// the caller stops caring: once one of them has occurred, starting at st, the
// scan ends where no occurrence starting at st or before can still end. The
// earliest start of the phrases below stopBelow is then exact, and every
// phrase whose first occurrence ends by st is reported; one that ends later
// may be reported -1.
//
// buf is best given room for twice the phrases: a long text is scanned in two
// lanes, each with its own half.
func (m *Matcher) Ends(text string, buf []int, stopBelow int) []int {
	n := len(m.phrases)
	if cap(buf) < 2*n {
		buf = make([]int, 2*n)
	}
	buf = buf[:2*n]
	for i := range buf {
		buf[i] = -1
	}
	ends := buf[:n]
	if n == 0 {
		return ends
	}
	delta, classes := m.delta, &m.classes
	nc := m.nclass
	stop := len(text) // the scan reads text[:stop]
	// record notes the phrases state s ends, at end (in text), in e
	record := func(s int32, end int, e []int) {
		for _, p := range m.out[(s&^outFlag)/nc] {
			if e[p] >= 0 {
				continue
			}
			e[p] = end
			if int(p) < stopBelow {
				// occurrences starting by this one's start end by
				// st+maxLen
				stop = min(stop, end-m.lens[p]+m.maxLen)
			}
		}
	}
	i := 0
	s := int32(0)
	if len(text) >= minLanes {
		// Two lanes side by side, the second noting in the other half of
		// buf; then the second goes on alone. A phrase the first lane
		// finds ends before any the second finds first.
		a, b := m.halves(text)
		off := len(text) - len(b)
		second := buf[n:]
		sa := int32(0)
		// Both lanes, while the second is before the stop (and so the
		// first too): a2 and b2 end there, and are cut shorter when a
		// phrase brings the stop closer.
		lim := min(len(a), stop-off)
		a2, b2 := a[:lim], b[:lim]
		for ; i < len(a2); i++ {
			sa = delta[sa+classes[a2[i]]]
			s = delta[s+classes[b2[i]]]
			if sa|s < 0 {
				if sa < 0 {
					record(sa, i+1, ends)
					sa &^= outFlag
				}
				if s < 0 {
					record(s, off+i+1, second)
					s &^= outFlag
				}
				if lim := max(i+1, stop-off); lim < len(a2) {
					a2, b2 = a2[:lim], b2[:lim]
				}
			}
		}
		// the first lane alone, the second having reached the stop
		for ; i < len(a) && i < stop; i++ {
			sa = delta[sa+classes[a[i]]]
			if sa < 0 {
				record(sa, i+1, ends)
				sa &^= outFlag
			}
		}
		for i = len(a); off+i < stop; i++ {
			s = delta[s+classes[b[i]]]
			if s < 0 {
				record(s, off+i+1, second)
				s &^= outFlag
			}
		}
		if stop <= len(a) {
			// the first lane stopped early: it saw whatever ends by
			// the stop, and the second lane may have seen later ones
			return ends
		}
		for id, e := range second {
			if ends[id] < 0 {
				ends[id] = e
			}
		}
		return ends
	}
	for ; i < stop; i++ {
		s = delta[s+classes[text[i]]]
		if s < 0 {
			record(s, i+1, ends)
			s &^= outFlag
		}
	}
	return ends
}
