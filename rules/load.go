package rules

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Text is a sentence in English and French. In YAML it is either a plain
// string (English) or a mapping {en: ..., fr: ...}.
type Text struct {
	EN string `yaml:"en"`
	FR string `yaml:"fr"`
}

// UnmarshalYAML accepts a string or an {en, fr} mapping.
func (t *Text) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		t.EN = n.Value
		return nil
	}
	type plain Text
	return n.Decode((*plain)(t))
}

// In returns the text in lang ("en" or "fr"), falling back to English.
func (t Text) In(lang string) string {
	if lang == "fr" && t.FR != "" {
		return t.FR
	}
	return t.EN
}

// Reason describes one reason of the catalogue: its defaults.
type Reason struct {
	Name string `yaml:"-"`
	// Hard is "always", "never" or "permanent" (hard only for a 5xx failure).
	Hard   string `yaml:"hard"`
	Side   string `yaml:"side"`
	Action string `yaml:"action"`
	// Pseudo is the detail number of the pseudo status code X.0.9NN given to a
	// failure of this reason that carried no status code.
	Pseudo      int  `yaml:"pseudo"`
	Description Text `yaml:"description"`
}

// Sides are the values a rule may give to "side".
var Sides = []string{"sender", "recipient", "transient", "none"}

// File is one parsed rule file.
type File struct {
	Name    string
	Rules   []*Rule
	Actions map[string]Text
}

// Set is an ordered list of rules with the reason and action catalogues.
type Set struct {
	Rules   []*Rule
	Files   []string // the files the rules came from, in order
	actions map[string]Text
	reasons map[string]*Reason
	// index of rules by phrase, for speed; see index.go
	idx *index
}

// Error is a problem in a rule file, with its position.
type Error struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("rules: %s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("rules: %s: %s", e.File, e.Msg)
}

var (
	builtinOnce sync.Once
	builtinFile []*File
	builtinRsn  map[string]*Reason
	builtinAct  map[string]Text
	builtinErr  error
)

func loadBuiltin() {
	data, err := builtinFS.ReadFile("builtin/reasons.yaml")
	if err != nil {
		builtinErr = err
		return
	}
	builtinRsn = map[string]*Reason{}
	if err := yaml.Unmarshal(data, &builtinRsn); err != nil {
		builtinErr = fmt.Errorf("rules: builtin/reasons.yaml: %v", err)
		return
	}
	for name, r := range builtinRsn {
		r.Name = name
	}
	data, err = builtinFS.ReadFile("builtin/actions.yaml")
	if err != nil {
		builtinErr = err
		return
	}
	if err := yaml.Unmarshal(data, &builtinAct); err != nil {
		builtinErr = fmt.Errorf("rules: builtin/actions.yaml: %v", err)
		return
	}
	names, _ := fs.Glob(builtinFS, "builtin/[0-9]*.yaml")
	sort.Strings(names)
	for _, n := range names {
		data, _ := builtinFS.ReadFile(n)
		f, err := parseFile("builtin:"+path.Base(n), data, builtinRsn, builtinAct)
		if err != nil {
			builtinErr = err
			return
		}
		builtinFile = append(builtinFile, f)
	}
}

// Builtin returns the set of built-in rules alone.
// The set is built once and shared: a Set is safe for concurrent use.
func Builtin() (*Set, error) {
	builtinSetOnce.Do(func() { builtinSet, builtinSetErr = newSet(nil) })
	return builtinSet, builtinSetErr
}

var (
	builtinSetOnce sync.Once
	builtinSet     *Set
	builtinSetErr  error
)

// ReasonNames lists the known reasons, sorted.
func ReasonNames() []string {
	builtinOnce.Do(loadBuiltin)
	var out []string
	for n := range builtinRsn {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Load reads the given rule files in order and returns a set of their rules
// followed by the built-in ones.
func Load(files []string) (*Set, error) {
	parsed, err := ReadFiles(files)
	if err != nil {
		return nil, err
	}
	return NewSet(parsed...)
}

// NewSet builds a set from parsed user files, followed by the built-in rules.
func NewSet(files ...*File) (*Set, error) {
	if len(files) == 0 {
		return Builtin()
	}
	return newSet(files)
}

func newSet(files []*File) (*Set, error) {
	builtinOnce.Do(loadBuiltin)
	if builtinErr != nil {
		return nil, builtinErr
	}
	s := &Set{actions: map[string]Text{}, reasons: builtinRsn}
	for id, t := range builtinAct {
		s.actions[id] = t
	}
	for _, f := range append(append([]*File{}, files...), builtinFile...) {
		s.Files = append(s.Files, f.Name)
		s.Rules = append(s.Rules, f.Rules...)
		for id, t := range f.Actions {
			s.actions[id] = t
		}
	}
	s.idx = buildIndex(s.Rules)
	return s, nil
}

// Parse reads one user rule file. Errors carry the file, line and column.
func Parse(name string, data []byte) (*File, error) {
	builtinOnce.Do(loadBuiltin)
	if builtinErr != nil {
		return nil, builtinErr
	}
	return parseFile(name, data, builtinRsn, builtinAct)
}

var (
	fileKeys  = []string{"rules", "actions"}
	ruleKeys  = []string{"name", "description", "match", "set"}
	matchKeys = []string{"status", "reply_code", "phrases", "and_phrases", "not_phrases", "regex", "remote_mta", "recipient_domain", "sender_domain", "decoder", "kind", "action", "command", "diagnostic_type", "category", "feedback_type"}
	setKeys   = []string{"reason", "hard", "side", "action", "label"}
	textKeys  = []string{"en", "fr"}
)

func parseFile(name string, data []byte, reasons map[string]*Reason, actions map[string]Text) (*File, error) {
	errAt := func(n *yaml.Node, format string, a ...any) error {
		return &Error{File: name, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, a...)}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, errEOF()) {
			return &File{Name: name}, nil
		}
		return nil, syntaxError(name, data, err)
	}
	f := &File{Name: name, Actions: map[string]Text{}}
	if len(doc.Content) == 0 {
		return f, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, errAt(root, "a rule file is a mapping with the keys rules and actions")
	}
	if err := checkKeys(name, root, fileKeys); err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		switch key.Value {
		case "actions":
			if val.Kind != yaml.MappingNode {
				return nil, errAt(val, "actions is a mapping of action ids to texts")
			}
			for j := 0; j+1 < len(val.Content); j += 2 {
				var t Text
				if v := val.Content[j+1]; v.Kind == yaml.MappingNode {
					if err := checkKeys(name, v, textKeys); err != nil {
						return nil, err
					}
				}
				if err := val.Content[j+1].Decode(&t); err != nil {
					return nil, decodeError(name, val.Content[j+1], err)
				}
				f.Actions[val.Content[j].Value] = t
			}
		case "rules":
			if val.Kind != yaml.SequenceNode {
				return nil, errAt(val, "rules is a list of rules")
			}
			seen := map[string]bool{}
			for _, rn := range val.Content {
				if rn.Kind != yaml.MappingNode {
					return nil, errAt(rn, "a rule is a mapping with name, match and set")
				}
				if err := checkKeys(name, rn, ruleKeys); err != nil {
					return nil, err
				}
				for j := 0; j+1 < len(rn.Content); j += 2 {
					k, v := rn.Content[j], rn.Content[j+1]
					switch k.Value {
					case "match":
						if err := checkKeys(name, v, matchKeys); err != nil {
							return nil, err
						}
					case "set":
						if err := checkKeys(name, v, setKeys); err != nil {
							return nil, err
						}
					}
				}
				r := &Rule{}
				if err := rn.Decode(r); err != nil {
					return nil, decodeError(name, rn, err)
				}
				r.Origin = fmt.Sprintf("%s:%d", name, rn.Line)
				if err := r.compile(); err != nil {
					return nil, errAt(errNode(rn, err), "%v", err)
				}
				if seen[r.Name] {
					return nil, errAt(rn, "rule %q is defined twice in this file", r.Name)
				}
				seen[r.Name] = true
				d := &r.Set
				if d.Reason == "" && d.Hard == nil && d.Side == "" && d.Action == "" && d.Label == "" {
					return nil, errAt(rn, "rule %q sets nothing", r.Name)
				}
				if d.Reason != "" && reasons[d.Reason] == nil {
					return nil, errAt(at(rn, "set", "reason"), "rule %q: unknown reason %q (known: %s)", r.Name, d.Reason, strings.Join(sortedKeys(reasons), ", "))
				}
				if d.Side != "" && !contains(Sides, d.Side) {
					return nil, errAt(at(rn, "set", "side"), "rule %q: side %q is not one of %s", r.Name, d.Side, strings.Join(Sides, ", "))
				}
				if d.Action != "" {
					if _, ok := actions[d.Action]; !ok {
						if _, ok := f.Actions[d.Action]; !ok && !actionDefinedLater(root, d.Action) {
							return nil, errAt(at(rn, "set", "action"), "rule %q: action %q is neither built in nor defined under actions", r.Name, d.Action)
						}
					}
				}
				f.Rules = append(f.Rules, r)
			}
		}
	}
	return f, nil
}

// actionDefinedLater reports whether the file's actions mapping (which may come
// after the rules) defines id.
func actionDefinedLater(root *yaml.Node, id string) bool {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "actions" && root.Content[i+1].Kind == yaml.MappingNode {
			v := root.Content[i+1]
			for j := 0; j < len(v.Content); j += 2 {
				if v.Content[j].Value == id {
					return true
				}
			}
		}
	}
	return false
}

func checkKeys(file string, n *yaml.Node, allowed []string) error {
	if n.Kind != yaml.MappingNode {
		return &Error{File: file, Line: n.Line, Column: n.Column, Msg: "expected a mapping"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !contains(allowed, k.Value) {
			return &Error{File: file, Line: k.Line, Column: k.Column,
				Msg: fmt.Sprintf("unknown field %q (known: %s)", k.Value, strings.Join(allowed, ", "))}
		}
	}
	return nil
}

func yamlError(file string, err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	var line int
	if _, e := fmt.Sscanf(msg, "line %d:", &line); e == nil {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
		return &Error{File: file, Line: line, Column: 1, Msg: msg}
	}
	return &Error{File: file, Msg: msg}
}

func errEOF() error { return ioEOF }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Reason returns the catalogue entry of a reason.
func (s *Set) Reason(name string) (*Reason, bool) {
	r, ok := s.reasons[name]
	return r, ok
}

// ActionText returns the text of an action id in lang, or "" when unknown.
func (s *Set) ActionText(id, lang string) string {
	return s.actions[id].In(lang)
}

// Match returns the first rule that matches sub, with what matched; nil when
// no rule does.
func (s *Set) Match(sub *Subject) (*Rule, Hit) {
	if !sub.ready {
		sub.Prepare()
	}
	return s.idx.match(sub, 0, nil)
}

// MatchAfter returns the first rule after the rule after that matches sub and
// for which want holds (want may be nil); nil when none does.
func (s *Set) MatchAfter(sub *Subject, after *Rule, want func(*Rule) bool) (*Rule, Hit) {
	i, ok := s.idx.pos[after]
	if !ok {
		return nil, Hit{}
	}
	return s.idx.match(sub, i+1, want)
}
