package multimatch

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

func TestScan(t *testing.T) {
	phrases := []string{"he", "she", "his", "hers", "ユーザー", "不存在"}
	m := New(phrases)
	set := m.Scan("ushers, 该用户不存在", nil)
	want := map[string]bool{"he": true, "she": true, "hers": true, "不存在": true}
	for id, p := range phrases {
		if set.Has(id) != want[p] {
			t.Errorf("phrase %q: present=%v, want %v", p, set.Has(id), want[p])
		}
	}
	if got := set.Lowest(); got != 0 {
		t.Errorf("Lowest = %d, want 0", got)
	}
}

func TestEmpty(t *testing.T) {
	m := New(nil)
	if m.Any("abc") || m.First("abc") != -1 || len(m.All("abc", nil)) != 0 {
		t.Error("an empty matcher found something")
	}
	if st, id := m.Leftmost("abc"); st != -1 || id != -1 {
		t.Error("an empty matcher found something")
	}
	if s := m.Scan("abc", nil); s.Lowest() != -1 {
		t.Error("an empty matcher found something")
	}
}

// TestAgainstIndex compares every search with what strings.Index says of each
// phrase alone, on random texts over a small alphabet (so that phrases occur,
// overlap and repeat).
func TestAgainstIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	word := func(n int) string { return randWord(rng, "abc é", n) }
	for round := 0; round < 300; round++ {
		var phrases []string
		for k := rng.Intn(12) + 1; k > 0; k-- {
			phrases = append(phrases, word(rng.Intn(5)+1))
		}
		m := New(phrases)
		for n := 0; n < 30; n++ {
			text := word(rng.Intn(80))
			if n%3 == 0 {
				text = word(rng.Intn(3 * minLanes))
			}
			set := m.Scan(text, nil)
			first, anyp := -1, false
			lmStart, lmID := -1, -1
			var all []Match
			for id, p := range phrases {
				i := strings.Index(text, p)
				if set.Has(id) != (i >= 0) {
					t.Fatalf("Scan(%q) of %q: %v", text, p, set.Has(id))
				}
				if i >= 0 {
					anyp = true
					if first < 0 {
						first = id
					}
					if lmStart < 0 || i < lmStart {
						lmStart, lmID = i, id
					}
				}
				for from := 0; ; {
					j := strings.Index(text[from:], p)
					if j < 0 {
						break
					}
					all = append(all, Match{ID: id, Start: from + j, End: from + j + len(p)})
					from += j + 1
				}
			}
			if m.Any(text) != anyp {
				t.Fatalf("Any(%q) = %v", text, !anyp)
			}
			if got := m.First(text); got != first {
				t.Fatalf("First(%q) = %d, want %d (%q)", text, got, first, phrases)
			}
			if got := set.Lowest(); got != first {
				t.Fatalf("Lowest of Scan(%q) = %d, want %d", text, got, first)
			}
			if st, id := m.Leftmost(text); st != lmStart || id != lmID {
				t.Fatalf("Leftmost(%q) = %d, %d, want %d, %d (%q)", text, st, id, lmStart, lmID, phrases)
			}
			// Ends, without a stop and stopping at the first few phrases
			ends := m.Ends(text, nil, 0)
			stopBelow := rng.Intn(len(phrases) + 1)
			stopped := m.Ends(text, nil, stopBelow)
			st := -1 // earliest start of a phrase below stopBelow
			for id, p := range phrases {
				if i := strings.Index(text, p); id < stopBelow && i >= 0 && (st < 0 || i < st) {
					st = i
				}
			}
			for id, p := range phrases {
				want := -1
				if i := strings.Index(text, p); i >= 0 {
					want = i + len(p)
				}
				if ends[id] != want {
					t.Fatalf("Ends(%q)[%q] = %d, want %d", text, p, ends[id], want)
				}
				if stopped[id] != want && (stopped[id] != -1 || st < 0 || want <= st) {
					t.Fatalf("Ends(%q, %d)[%q] = %d, want %d", text, stopBelow, p, stopped[id], want)
				}
				if id < stopBelow && want >= 0 && want-len(p) == st && stopped[id] != want {
					t.Fatalf("Ends(%q, %d) misses the earliest %q", text, stopBelow, p)
				}
			}
			got := m.All(text, nil)
			if len(got) != len(all) {
				t.Fatalf("All(%q): %d matches, want %d", text, len(got), len(all))
			}
			seen := map[Match]bool{}
			for k, g := range got {
				seen[g] = true
				if k > 0 && (g.End < got[k-1].End || g.End == got[k-1].End && g.End-g.Start > got[k-1].End-got[k-1].Start) {
					t.Fatalf("All(%q) out of order: %v", text, got)
				}
			}
			for _, w := range all {
				if !seen[w] {
					t.Fatalf("All(%q) misses %v", text, w)
				}
			}
		}
	}
}

func BenchmarkScan(b *testing.B) {
	phrases := []string{"user unknown", "mailbox full", "no such user", "relay denied", "spam", "blocked"}
	m := New(phrases)
	text := strings.Repeat("the quick brown fox jumps over the lazy dog; ", 100) + "no such user"
	b.SetBytes(int64(len(text)))
	var set Set
	for i := 0; i < b.N; i++ {
		set = m.Scan(text, set)
	}
}

// TestFoldAgainstLower checks that a NewFold matcher searching an ASCII text
// finds what a New matcher finds in the text lower-cased, with every search,
// and the same as New in a lower-cased text that is not ASCII.
func TestFoldAgainstLower(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	word := func(alpha string, n int) string { return randWord(rng, alpha, n) }
	for round := 0; round < 300; round++ {
		var phrases []string
		for k := rng.Intn(12) + 1; k > 0; k-- {
			phrases = append(phrases, word("abz [@", rng.Intn(5)+1))
		}
		plain, fold := New(phrases), NewFold(phrases)
		for n := 0; n < 30; n++ {
			text := word("abzABZ [@`{", rng.Intn(80))
			if n%3 == 0 {
				text = word("abzABZ [@`{", rng.Intn(3*minLanes))
			}
			l := strings.ToLower(text)
			if n%5 == 0 {
				// lower-cased non-ASCII text, searched as it is by both
				text = strings.ToLower(text + "É" + text)
				l = text
			}
			if got, want := fold.Scan(text, nil), plain.Scan(l, nil); !reflect.DeepEqual(got, want) {
				t.Fatalf("Scan(%q) = %v, want %v", text, got, want)
			}
			if fold.Any(text) != plain.Any(l) || fold.First(text) != plain.First(l) {
				t.Fatalf("Any or First(%q) differ", text)
			}
			s1, id1 := fold.Leftmost(text)
			s2, id2 := plain.Leftmost(l)
			if s1 != s2 || id1 != id2 {
				t.Fatalf("Leftmost(%q) differ", text)
			}
			stop := rng.Intn(len(phrases) + 1)
			if got, want := fold.Ends(text, nil, stop), plain.Ends(l, nil, stop); !reflect.DeepEqual(got, want) {
				t.Fatalf("Ends(%q, %d) = %v, want %v", text, stop, got, want)
			}
			if got, want := fold.All(text, nil), plain.All(l, nil); !reflect.DeepEqual(got, want) {
				t.Fatalf("All(%q) = %v, want %v", text, got, want)
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("NewFold took an upper-case phrase")
		}
	}()
	NewFold([]string{"Abc"})
}

// TestLanesLongPhrases checks Scan and First against strings.Index with
// phrases longer than the quarters the four-lane scan cuts a text in, so
// that occurrences cross one boundary or more.
func TestLanesLongPhrases(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab"[rng.Intn(2)]
		}
		return string(b)
	}
	for round := 0; round < 300; round++ {
		var phrases []string
		for k := rng.Intn(6) + 1; k > 0; k-- {
			phrases = append(phrases, word(rng.Intn(70)+1))
		}
		m := New(phrases)
		for n := 0; n < 30; n++ {
			var b strings.Builder
			for b.Len() < minScanLanes+rng.Intn(300) {
				if rng.Intn(2) == 0 {
					b.WriteString(phrases[rng.Intn(len(phrases))])
				} else {
					b.WriteString(word(rng.Intn(20)))
				}
			}
			text := b.String()
			set := m.Scan(text, nil)
			first := -1
			for id, p := range phrases {
				in := strings.Contains(text, p)
				if set.Has(id) != in {
					t.Fatalf("Scan(%q) of %q: %v", text, p, set.Has(id))
				}
				if in && first < 0 {
					first = id
				}
			}
			if got := m.First(text); got != first {
				t.Fatalf("First(%q) = %d, want %d", text, got, first)
			}
		}
	}
}

// TestRecip checks that extend's multiplication finds the state of every
// premultiplied state, for every number of classes.
func TestRecip(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	for nc := 1; nc <= 257; nc++ {
		recip := (1<<32 + uint64(nc) - 1) / uint64(nc)
		limit := (1<<31 - 1) / nc
		for n := 0; n < 2000; n++ {
			k := rng.Intn(limit)
			if n < 1000 {
				k = n
			} else if n < 1010 {
				k = limit - 1 - (n - 1000)
			}
			if got := uint64(int32(k*nc)) * recip >> 32; got != uint64(k) {
				t.Fatalf("nc %d, state %d: got %d", nc, k, got)
			}
		}
	}
}

// randWord returns n bytes drawn from alpha.
func randWord(rng *rand.Rand, alpha string, n int) string {
	var b strings.Builder
	for k := 0; k < n; k++ {
		b.WriteByte(alpha[rng.Intn(len(alpha))])
	}
	return b.String()
}

// TestASCIIAgainstFull checks that a matcher of NewASCII (NewFoldASCII)
// finds on ASCII texts what one of New (NewFold) finds, with every search,
// the phrases beyond ASCII left out of its automaton.
func TestASCIIAgainstFull(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for round := 0; round < 300; round++ {
		var phrases []string
		for k := rng.Intn(12) + 1; k > 0; k-- {
			phrases = append(phrases, randWord(rng, "abc é", rng.Intn(5)+1))
		}
		for _, fold := range []bool{false, true} {
			full, ascii := New(phrases), NewASCII(phrases)
			alpha := "abc "
			if fold {
				full, ascii = NewFold(phrases), NewFoldASCII(phrases)
				alpha = "abcABC "
			}
			for n := 0; n < 30; n++ {
				text := randWord(rng, alpha, rng.Intn(80))
				if n%3 == 0 {
					text = randWord(rng, alpha, rng.Intn(3*minLanes))
				}
				stopBelow := rng.Intn(len(phrases) + 1)
				if !reflect.DeepEqual(full.Scan(text, nil), ascii.Scan(text, nil)) ||
					full.Any(text) != ascii.Any(text) || full.First(text) != ascii.First(text) ||
					!reflect.DeepEqual(full.All(text, nil), ascii.All(text, nil)) ||
					!reflect.DeepEqual(full.Ends(text, nil, 0), ascii.Ends(text, nil, 0)) {
					t.Fatalf("phrases %q, text %q (fold %v): the ASCII matcher differs", phrases, text, fold)
				}
				// a stopped Ends is exact for the phrases that end by the
				// earliest start of one below stopBelow (the rest depends
				// on the longest phrase, which differs)
				ends := full.Ends(text, nil, 0)
				st := -1
				for id := 0; id < stopBelow; id++ {
					if e := ends[id]; e >= 0 && (st < 0 || e-len(phrases[id]) < st) {
						st = e - len(phrases[id])
					}
				}
				stopped := ascii.Ends(text, nil, stopBelow)
				for id, e := range ends {
					if stopped[id] != e && (stopped[id] != -1 || st < 0 || e <= st) {
						t.Fatalf("phrases %q, text %q (fold %v): Ends(%d)[%d] = %d, want %d", phrases, text, fold, stopBelow, id, stopped[id], e)
					}
				}
				fs, fid := full.Leftmost(text)
				as, aid := ascii.Leftmost(text)
				if fs != as || fid != aid {
					t.Fatalf("phrases %q, text %q (fold %v): Leftmost %d, %d, want %d, %d", phrases, text, fold, as, aid, fs, fid)
				}
			}
		}
	}
	// no phrase within ASCII at all
	m := NewASCII([]string{"é", "ü"})
	if m.Any("abc") || m.First("abc") != -1 || len(m.All("abc", nil)) != 0 {
		t.Error("a matcher without an ASCII phrase found something")
	}
}

// TestSplitAgainstFull checks that a scan of any text by NewASCII's matcher,
// then by NewBeyondASCII's adding to it, finds the set New's matcher finds.
func TestSplitAgainstFull(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for round := 0; round < 300; round++ {
		var phrases []string
		for k := rng.Intn(12) + 1; k > 0; k-- {
			phrases = append(phrases, randWord(rng, "abc é", rng.Intn(5)+1))
		}
		full, ascii, beyond := New(phrases), NewASCII(phrases), NewBeyondASCII(phrases)
		for n := 0; n < 30; n++ {
			text := randWord(rng, "abc é", rng.Intn(80))
			if n%3 == 0 {
				text = randWord(rng, "abc é", rng.Intn(3*minLanes))
			}
			want := full.Scan(text, nil)
			got := beyond.ScanMore(text, ascii.Scan(text, nil))
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("phrases %q, text %q: the split matchers find %v, the full one %v", phrases, text, got, want)
			}
		}
	}
}

// The table is made at the size of the trie: trieStates counts its states.
func TestTrieStates(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for round := 0; round < 500; round++ {
		var phrases []string
		for k := rng.Intn(12) + 1; k > 0; k-- {
			phrases = append(phrases, randWord(rng, "abc é", rng.Intn(6)+1))
		}
		prefixes := map[string]bool{"": true}
		for _, p := range phrases {
			for i := 1; i <= len(p); i++ {
				prefixes[p[:i]] = true
			}
		}
		if got := trieStates(phrases); got != len(prefixes) {
			t.Fatalf("trieStates(%q) = %d, want %d", phrases, got, len(prefixes))
		}
		if m := New(phrases); len(m.out) != len(prefixes) || cap(m.delta) != len(m.delta) {
			t.Fatalf("New(%q): %d states, table of %d for %d", phrases, len(m.out), cap(m.delta), len(m.delta))
		}
	}
}
