package rules

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// fieldError is a problem with one value of a rule: Path names the field
// ("match", "regex"), Index the entry of a list field (-1 for the field
// itself). Errors point at that value rather than at the rule's start.
type fieldError struct {
	Path  []string
	Index int
	Msg   string
}

func (e *fieldError) Error() string { return e.Msg }

func fieldErr(path string, index int, format string, a ...any) error {
	return &fieldError{Path: strings.Split(path, "."), Index: index, Msg: fmt.Sprintf(format, a...)}
}

// valueNode returns the value under the keys path in mapping n, or nil.
func valueNode(n *yaml.Node, path ...string) *yaml.Node {
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// errNode returns the node an error about rule node rn should point at: the
// offending value when the error names it, else the rule itself.
func errNode(rn *yaml.Node, err error) *yaml.Node {
	var fe *fieldError
	if !errors.As(err, &fe) {
		return rn
	}
	v := valueNode(rn, fe.Path...)
	if v == nil {
		return rn
	}
	if fe.Index >= 0 && v.Kind == yaml.SequenceNode && fe.Index < len(v.Content) {
		return v.Content[fe.Index]
	}
	return v
}

// decodeError turns an error of decoding node n into an Error with the line
// and column of the value that could not be decoded.
func decodeError(file string, n *yaml.Node, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) == 0 {
		return yamlError(file, err)
	}
	msg := te.Errors[0]
	var line int
	if _, e := fmt.Sscanf(msg, "line %d:", &line); e != nil {
		return &Error{File: file, Msg: msg}
	}
	msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	col := 1
	// The message quotes the value in backquotes: find it on that line.
	want := ""
	if i := strings.IndexByte(msg, '`'); i >= 0 {
		if j := strings.IndexByte(msg[i+1:], '`'); j >= 0 {
			want = msg[i+1 : i+1+j]
		}
	}
	if c := findColumn(n, line, want); c > 0 {
		col = c
	}
	return &Error{File: file, Line: line, Column: col, Msg: msg}
}

// findColumn returns the column of the first node on line whose value is
// want (any node on the line when want is empty or not found); 0 if none.
func findColumn(n *yaml.Node, line int, want string) int {
	best := 0
	var walk func(*yaml.Node) bool
	walk = func(x *yaml.Node) bool {
		if x.Line == line && x.Kind == yaml.ScalarNode {
			if want != "" && x.Value == want {
				best = x.Column
				return true
			}
		}
		if x.Line == line && best == 0 && x.Kind != yaml.MappingNode {
			best = x.Column
		}
		for _, c := range x.Content {
			if walk(c) {
				return true
			}
		}
		return false
	}
	walk(n)
	return best
}

// at returns the value under path in rule node rn, or rn when it is absent.
func at(rn *yaml.Node, path ...string) *yaml.Node {
	if v := valueNode(rn, path...); v != nil {
		return v
	}
	return rn
}

// parserProblems are the messages of the YAML library's parser (as opposed
// to its scanner): it reports their line counted from 0, at the start of the
// collection the problem is in.
var parserProblems = map[string]string{
	"did not find expected ',' or ']'":       "[",
	"did not find expected ',' or '}'":       "{",
	"did not find expected '-' indicator":    "-",
	"did not find expected key":              "",
	"did not find expected node content":     "",
	"did not find expected <document start>": "",
	"found undefined tag handle":             "",
}

// syntaxError turns a YAML syntax error into an Error with a line counted
// from 1 and the column of the collection or line it concerns.
func syntaxError(file string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if _, e := fmt.Sscanf(msg, "line %d:", &line); e == nil {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	opener, parser := parserProblems[msg]
	if parser {
		line++ // the parser counts from 0
		if strings.HasPrefix(msg, "did not find expected") && !strings.Contains(msg, "document") {
			msg += " (in the list or mapping that starts here)"
		}
	}
	if line == 0 {
		return &Error{File: file, Msg: msg}
	}
	lines := strings.Split(string(data), "\n")
	col := 1
	if line <= len(lines) {
		text := lines[line-1]
		if i := strings.Index(text, opener); opener != "" && i >= 0 {
			col = i + 1
		} else if i := strings.IndexFunc(text, func(r rune) bool { return r != ' ' && r != '\t' }); i >= 0 {
			col = i + 1
		}
	}
	return &Error{File: file, Line: line, Column: col, Msg: msg}
}
