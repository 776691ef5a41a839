package parser

import (
	"bytes"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

func TestReadFieldsFolding(t *testing.T) {
	in := " stray\nA: one\n two  \n\tthree\nB:\n  x\nC : y \n \nD: z\n"
	fs, rest := readFields([]byte(in))
	want := []Field{{"A", "one two three"}, {"B", " x"}, {"C", "y"}}
	if !reflect.DeepEqual(fs, want) || string(rest) != "D: z\n" {
		t.Fatalf("got %q rest %q", fs, rest)
	}
}

func TestNormalizeNewlines(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"a\nb\n":             "a\nb\n",
		"a\r\nb\r\n":         "a\nb\n",
		"a\rb\r":             "a\nb\n",
		"a\r\r\nb":           "a\n\nb",
		"\r\n\r\n":           "\n\n",
		"x\r\ny\rz\n\r":      "x\ny\nz\n\n",
		"no line end at all": "no line end at all",
	} {
		if got := string(normalizeNewlines([]byte(in))); got != want {
			t.Errorf("normalizeNewlines(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCutCRLF(t *testing.T) {
	pieces := []string{"a", "\r", "\n", "\r\n", "\r\r\n", " ", "b: c"}
	rng := rand.New(rand.NewSource(9))
	for n := 0; n < 20000; n++ {
		var s strings.Builder
		for k := rng.Intn(8); k > 0; k-- {
			s.WriteString(pieces[rng.Intn(len(pieces))])
		}
		b := []byte(s.String())
		before, after := cutCRLF(b)
		wb, wa, _ := bytes.Cut(b, []byte("\r\n"))
		if !bytes.Equal(before, wb) || !bytes.Equal(after, wa) || (after == nil) != (wa == nil) {
			t.Fatalf("cutCRLF(%q) = %q, %q, want %q, %q", b, before, after, wb, wa)
		}
	}
}

func TestAddrOfKeepsNeededQuotes(t *testing.T) {
	for in, want := range map[string]string{
		`"Oliver Smith"@Example.org`:      `"oliver smith"@example.org`,
		`Oliver <"o.s."@example.org>`:     `"o.s."@example.org`,
		`"plain"@example.org`:             `plain@example.org`,
		`Jo Doe <jo.doe+tag@example.org>`: `jo.doe+tag@example.org`,
		`<"with\\backslash"@example.org>`: `"with\\backslash"@example.org`,
	} {
		if got := addrOf(in); got != want {
			t.Errorf("addrOf(%q) = %q, want %q", in, got, want)
		}
	}
}
