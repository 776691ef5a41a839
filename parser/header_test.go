package parser

import (
	"reflect"
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
