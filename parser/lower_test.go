package parser

import (
	"math/rand"
	"strings"
	"testing"
)

func TestPhraseIndexIsStringsIndex(t *testing.T) {
	var all []string
	all = append(all, originalMarkers...)
	for _, s := range mtaSignatures {
		all = append(all, s.phrase)
	}
	for _, c := range commandPatterns {
		all = append(all, c.phrase)
	}
	all = append(all, boilerplate...)
	all = append(all, bouncePhrases...)
	all = append(all, "ab", "aab", "x", "yahoo")
	rng := rand.New(rand.NewSource(1))
	alpha := "abxy -.o"
	for _, p := range all {
		ph := newPhrase(p)
		texts := []string{"", p, p + p, "x" + p, p[:len(p)-1], strings.Repeat(p[:len(p)/2+1], 30) + p}
		for n := 0; n < 300; n++ {
			var b strings.Builder
			for k := rng.Intn(60); k > 0; k-- {
				if rng.Intn(20) == 0 {
					b.WriteString(p)
				}
				b.WriteByte(alpha[rng.Intn(len(alpha))])
				b.WriteByte(p[rng.Intn(len(p))])
			}
			texts = append(texts, b.String())
		}
		for _, s := range texts {
			if got, want := ph.index(s), strings.Index(s, p); got != want {
				t.Fatalf("index(%q) in %q = %d, want %d", p, s, got, want)
			}
		}
	}
}
