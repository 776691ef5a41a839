package rules

// An Aho-Corasick automaton over bytes: built once from every phrase of every
// rule, it finds in one pass over a folded text the set of phrases present.
//
// The automaton is a complete DFA (failure links resolved at build time) over
// byte classes: the bytes that occur in some phrase each get a class, every
// other byte shares class 0, so the table stays small while the scan is one
// load per byte.

type automaton struct {
	classes  [256]uint16
	nclass   int
	delta    []int32 // state*nclass + class -> next state
	out      [][]int32
	nphrases int
}

// newAutomaton builds the automaton of the phrases; the id of a phrase is its
// index in the slice. Phrases must be non-empty and distinct.
func newAutomaton(phrases []string) *automaton {
	a := &automaton{nphrases: len(phrases)}
	for _, p := range phrases {
		for i := 0; i < len(p); i++ {
			if a.classes[p[i]] == 0 {
				a.nclass++
				a.classes[p[i]] = uint16(a.nclass)
			}
		}
	}
	a.nclass++ // class 0: bytes in no phrase
	nc := a.nclass

	// The trie, with goto transitions in the table (-1: none yet).
	newState := func() int32 {
		for i := 0; i < nc; i++ {
			a.delta = append(a.delta, -1)
		}
		a.out = append(a.out, nil)
		return int32(len(a.out) - 1)
	}
	newState()
	for id, p := range phrases {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := int(a.classes[p[i]])
			next := a.delta[int(s)*nc+c]
			if next < 0 {
				next = newState()
				a.delta[int(s)*nc+c] = next
			}
			s = next
		}
		a.out[s] = append(a.out[s], int32(id))
	}

	// Breadth-first: failure links, then fill the missing transitions with
	// those of the failure state, and inherit its outputs.
	fail := make([]int32, len(a.out))
	queue := make([]int32, 0, len(a.out))
	for c := 0; c < nc; c++ {
		t := a.delta[c]
		if t < 0 {
			a.delta[c] = 0
			continue
		}
		fail[t] = 0
		queue = append(queue, t)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if f := fail[s]; len(a.out[f]) > 0 {
			a.out[s] = append(a.out[s], a.out[f]...)
		}
		for c := 0; c < nc; c++ {
			t := a.delta[int(s)*nc+c]
			if t < 0 {
				a.delta[int(s)*nc+c] = a.delta[int(fail[s])*nc+c]
				continue
			}
			fail[t] = a.delta[int(fail[s])*nc+c]
			queue = append(queue, t)
		}
	}
	return a
}

// phraseSet is a set of phrase ids.
type phraseSet []uint64

func (p phraseSet) has(id int32) bool { return p[id>>6]&(1<<(uint(id)&63)) != 0 }

// scan returns the set of phrases that occur in text, reusing buf.
func (a *automaton) scan(text string, buf phraseSet) phraseSet {
	n := (a.nphrases + 63) / 64
	if cap(buf) < n {
		buf = make(phraseSet, n)
	}
	buf = buf[:n]
	clear(buf)
	if a.nphrases == 0 {
		return buf
	}
	nc := a.nclass
	delta, out, classes := a.delta, a.out, &a.classes
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = delta[int(s)*nc+int(classes[text[i]])]
		for _, id := range out[s] {
			buf[id>>6] |= 1 << (uint(id) & 63)
		}
	}
	return buf
}
