// Package rules holds bouncer's rule format: the files that say which reason,
// hard or soft, whose move and which recommended action a failure gets.
//
// A rule file is YAML:
//
//	rules:
//	  - name: provider-hourly-limit
//	    match:
//	      status: ["5.7.*"]          # enhanced status code, exact or with * parts
//	      reply_code: ["55x"]        # SMTP reply code, exact or with x digits
//	      phrases: ["too many messages this hour"]   # any of them, case-insensitive
//	      regex: 'limit of \d+ messages'             # RE2, case-insensitive unless (?-i)
//	      remote_mta: ["mx.example.net", ".example.net"]
//	      recipient_domain: ["example.org"]
//	      sender_domain: ["example.com"]
//	      decoder: ["postfix"]
//	      kind: ["ndr"]
//	      action: ["failed"]
//	    set:
//	      reason: speeding
//	      hard: false
//	      side: sender
//	      action: respect-rate-limit
//	      label: my-runbook-12
//	actions:
//	  my-runbook-12:
//	    en: "Follow runbook 12."
//	    fr: "Suivre la procédure 12."
//
// Every condition given must hold; within a list, one entry is enough. Rules are
// tried in order and the first that matches decides. A Set is the user's files
// followed by the built-in ones, which are embedded files in this same format.
package rules

import (
	"fmt"
	"regexp"
	"strings"
)

// Rule is one rule: conditions and what they decide.
type Rule struct {
	Name        string   `yaml:"name"`
	Description Text     `yaml:"description,omitempty"`
	Match       Match    `yaml:"match"`
	Set         Decision `yaml:"set"`

	// Origin is where the rule was read: "file:line".
	Origin string `yaml:"-"`

	re      *regexp.Regexp
	phrases []string // lower-cased, whitespace folded
}

// Match holds a rule's conditions. Empty fields are not checked.
type Match struct {
	Status          []string `yaml:"status,omitempty"`
	ReplyCode       []string `yaml:"reply_code,omitempty"`
	Phrases         []string `yaml:"phrases,omitempty"`
	Regex           string   `yaml:"regex,omitempty"`
	RemoteMTA       []string `yaml:"remote_mta,omitempty"`
	RecipientDomain []string `yaml:"recipient_domain,omitempty"`
	SenderDomain    []string `yaml:"sender_domain,omitempty"`
	Decoder         []string `yaml:"decoder,omitempty"`
	Kind            []string `yaml:"kind,omitempty"`
	Action          []string `yaml:"action,omitempty"`
}

// Decision is what a matching rule sets. Empty fields are left to the
// defaults of the reason.
type Decision struct {
	Reason string `yaml:"reason,omitempty"`
	Hard   *bool  `yaml:"hard,omitempty"`
	Side   string `yaml:"side,omitempty"`
	Action string `yaml:"action,omitempty"`
	Label  string `yaml:"label,omitempty"`
}

// Subject is what rules are matched against: one recipient of one bounce.
type Subject struct {
	Status    string // enhanced status code, "" when none
	ReplyCode string // SMTP reply code, "" when none
	Text      string // diagnostic text
	RemoteMTA string
	Recipient string // address
	Sender    string // envelope or header sender address of the original
	Decoder   string
	Kind      string
	Action    string

	lower string // Text lower-cased with whitespace folded, filled by Prepare
	ready bool
}

// Prepare computes the folded form of the text once; Match calls it when the
// caller has not.
func (s *Subject) Prepare() {
	s.lower = Fold(s.Text)
	s.ready = true
}

// Fold lower-cases s and folds every run of white space to one space, the
// form phrases are compared in.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r', '\f', '\v', 0xa0:
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		space = false
		if r < 0x80 {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		b.WriteString(strings.ToLower(string(r)))
	}
	return strings.TrimRight(b.String(), " ")
}

// Hit says which condition of a rule carried the match, for explanations.
type Hit struct {
	Field   string // "phrases", "regex", "status", "reply_code", ...
	Matched string // the phrase, the regex match or the code
}

// compile checks and prepares a rule; errors name the field.
func (r *Rule) compile() error {
	if r.Name == "" {
		return fmt.Errorf("rule has no name")
	}
	m := &r.Match
	for i, p := range m.Status {
		if !validStatusPattern(p) {
			return fieldErr("match.status", i, "rule %q: status %q is not a status code or pattern like 5.7.*", r.Name, p)
		}
	}
	for i, p := range m.ReplyCode {
		if !validReplyPattern(p) {
			return fieldErr("match.reply_code", i, "rule %q: reply_code %q is not a reply code or pattern like 55x", r.Name, p)
		}
	}
	r.phrases = r.phrases[:0]
	for i, p := range m.Phrases {
		f := Fold(p)
		if f == "" {
			return fieldErr("match.phrases", i, "rule %q: empty phrase", r.Name)
		}
		r.phrases = append(r.phrases, f)
	}
	if m.Regex != "" {
		src := m.Regex
		if !strings.HasPrefix(src, "(?-i)") {
			src = "(?i)" + src
		}
		re, err := regexp.Compile(src)
		if err != nil {
			if _, e := regexp.Compile(m.Regex); e != nil {
				err = e // the message quotes the regex as written
			}
			return fieldErr("match.regex", -1, "rule %q: regex: %v", r.Name, err)
		}
		r.re = re
	}
	if m.isEmpty() {
		return fmt.Errorf("rule %q has no condition", r.Name)
	}
	return nil
}

func (m *Match) isEmpty() bool {
	return len(m.Status) == 0 && len(m.ReplyCode) == 0 && len(m.Phrases) == 0 && m.Regex == "" &&
		len(m.RemoteMTA) == 0 && len(m.RecipientDomain) == 0 && len(m.SenderDomain) == 0 &&
		len(m.Decoder) == 0 && len(m.Kind) == 0 && len(m.Action) == 0
}

func validStatusPattern(p string) bool {
	parts := strings.Split(p, ".")
	if len(parts) < 1 || len(parts) > 3 {
		return false
	}
	for i, x := range parts {
		if x == "*" {
			continue
		}
		if x == "" || len(x) > 3 {
			return false
		}
		for _, c := range x {
			if c < '0' || c > '9' {
				return false
			}
		}
		if i == 0 && x != "2" && x != "4" && x != "5" {
			return false
		}
	}
	return true
}

func validReplyPattern(p string) bool {
	if len(p) != 3 || p[0] < '2' || p[0] > '5' {
		return false
	}
	for i := 1; i < 3; i++ {
		c := p[i]
		if c != 'x' && c != 'X' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func statusMatches(pattern, code string) bool {
	if code == "" {
		return false
	}
	pp := strings.Split(pattern, ".")
	cp := strings.Split(code, ".")
	if len(pp) > len(cp) {
		return false
	}
	if len(pp) < len(cp) && pp[len(pp)-1] != "*" {
		return false
	}
	for i, x := range pp {
		if x == "*" {
			if i == len(pp)-1 {
				return true
			}
			continue
		}
		if x != cp[i] {
			return false
		}
	}
	return true
}

func replyMatches(pattern, code string) bool {
	if len(code) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if pattern[i] == 'x' || pattern[i] == 'X' {
			continue
		}
		if pattern[i] != code[i] {
			return false
		}
	}
	return true
}

// hostMatches: an entry starting with "." or "*." matches the domain and its
// subdomains; otherwise the host itself or any of its subdomains.
func hostMatches(pattern, host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	pattern = strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(pattern, "*"), "."))
	if host == "" || pattern == "" {
		return false
	}
	return host == pattern || strings.HasSuffix(host, "."+pattern)
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

func anyOf(list []string, f func(string) bool) (string, bool) {
	for _, x := range list {
		if f(x) {
			return x, true
		}
	}
	return "", false
}

// matches reports whether every condition of the rule holds for s, and which
// condition best explains the match (the text ones first).
func (r *Rule) matches(s *Subject) (Hit, bool) {
	m := &r.Match
	var hit Hit
	if len(m.Kind) > 0 {
		k, ok := anyOf(m.Kind, func(x string) bool { return strings.EqualFold(x, s.Kind) })
		if !ok {
			return hit, false
		}
		hit = Hit{"kind", k}
	}
	if len(m.Action) > 0 {
		a, ok := anyOf(m.Action, func(x string) bool { return strings.EqualFold(x, s.Action) })
		if !ok {
			return hit, false
		}
		hit = Hit{"action", a}
	}
	if len(m.Decoder) > 0 {
		d, ok := anyOf(m.Decoder, func(x string) bool { return strings.EqualFold(x, s.Decoder) })
		if !ok {
			return hit, false
		}
		hit = Hit{"decoder", d}
	}
	if len(m.RemoteMTA) > 0 {
		h, ok := anyOf(m.RemoteMTA, func(x string) bool { return hostMatches(x, s.RemoteMTA) })
		if !ok {
			return hit, false
		}
		hit = Hit{"remote_mta", h}
	}
	if len(m.RecipientDomain) > 0 {
		h, ok := anyOf(m.RecipientDomain, func(x string) bool { return hostMatches(x, domainOf(s.Recipient)) })
		if !ok {
			return hit, false
		}
		hit = Hit{"recipient_domain", h}
	}
	if len(m.SenderDomain) > 0 {
		h, ok := anyOf(m.SenderDomain, func(x string) bool { return hostMatches(x, domainOf(s.Sender)) })
		if !ok {
			return hit, false
		}
		hit = Hit{"sender_domain", h}
	}
	if len(m.ReplyCode) > 0 {
		c, ok := anyOf(m.ReplyCode, func(x string) bool { return replyMatches(x, s.ReplyCode) })
		if !ok {
			return hit, false
		}
		hit = Hit{"reply_code", c}
	}
	if len(m.Status) > 0 {
		c, ok := anyOf(m.Status, func(x string) bool { return statusMatches(x, s.Status) })
		if !ok {
			return hit, false
		}
		hit = Hit{"status", c}
	}
	if r.re != nil {
		loc := r.re.FindStringIndex(s.Text)
		if loc == nil {
			return hit, false
		}
		hit = Hit{"regex", s.Text[loc[0]:loc[1]]}
	}
	if len(r.phrases) > 0 {
		if !s.ready {
			s.Prepare()
		}
		p, ok := anyOf(r.phrases, func(x string) bool { return strings.Contains(s.lower, x) })
		if !ok {
			return hit, false
		}
		hit = Hit{"phrases", p}
	}
	return hit, true
}

// Matches reports whether every condition of the rule holds for s.
func (r *Rule) Matches(s *Subject) bool {
	_, ok := r.matches(s)
	return ok
}
