package rules

import "io"

var ioEOF = io.EOF

// index speeds up matching. For now it keeps the rules in order and tries each.
type index struct {
	rules []*Rule
}

func buildIndex(rules []*Rule) *index { return &index{rules: rules} }

func (x *index) match(s *Subject) (*Rule, Hit) {
	for _, r := range x.rules {
		if h, ok := r.matches(s); ok {
			return r, h
		}
	}
	return nil, Hit{}
}
