package rules

import "testing"

// BenchmarkBuiltinSet measures what every run of bouncer pays before it reads
// a message: reading the built-in rule files and building their index.
func BenchmarkBuiltinSet(b *testing.B) {
	for i := 0; i < b.N; i++ {
		loadBuiltin()
		if _, err := newSet(nil); err != nil {
			b.Fatal(err)
		}
	}
}
