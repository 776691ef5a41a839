// Package rules holds bouncer's rule format: the files that say which reason,
// hard or soft, whose move and which recommended action a failure gets.
//
// A rule file is YAML:
//
//	rules:
//	  - name: provider-hourly-limit
//	    match:
//	      status: ["5.7.*"]          # enhanced status code, exact or with * parts, or none
//	      reply_code: ["55x"]        # SMTP reply code, exact or with x digits
//	      phrases: ["too many messages this hour"]   # any of them, case-insensitive
//	      and_phrases: ["account"]                   # and also one of these
//	      not_phrases: ["not listed"]                # and none of these
//	      regex: 'limit of \d+ messages'             # RE2, case-insensitive unless (?-i)
//	      remote_mta: ["mx.example.net", ".example.net"]
//	      recipient_domain: ["example.org"]
//	      sender_domain: ["example.com"]
//	      decoder: ["postfix"]
//	      kind: ["ndr"]
//	      command: ["DATA"]          # the SMTP command the failure answered, or none
//	      diagnostic_type: ["x-unix"] # the type of the DSN's Diagnostic-Code
//	      category: ["bad-mailbox"]  # the sending MTA's own class (PowerMTA)
//	      feedback_type: ["abuse"]   # an ARF report's Feedback-Type
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
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// None, as an entry of status, reply_code, command, diagnostic_type, kind,
// action or decoder, matches a failure that has no such value: `status:
// [none]` holds when the bounce carried no enhanced status code at all.
const None = "none"

// Rule is one rule: conditions and what they decide.
type Rule struct {
	Name        string   `yaml:"name"`
	Description Text     `yaml:"description,omitempty"`
	Match       Match    `yaml:"match"`
	Set         Decision `yaml:"set"`

	// Origin is where the rule was read: "file:line".
	Origin string `yaml:"-"`

	re         *regexp.Regexp
	reNeeds    [][]string // what the folded text of any match of re holds (regexNeeds)
	phrases    []string   // lower-cased, whitespace folded
	andPhrases []string
	notPhrases []string
}

// Match holds a rule's conditions. Empty fields are not checked.
type Match struct {
	Status          []string `yaml:"status,omitempty"`
	ReplyCode       []string `yaml:"reply_code,omitempty"`
	Phrases         []string `yaml:"phrases,omitempty"`
	AndPhrases      []string `yaml:"and_phrases,omitempty"`
	NotPhrases      []string `yaml:"not_phrases,omitempty"`
	Regex           string   `yaml:"regex,omitempty"`
	RemoteMTA       []string `yaml:"remote_mta,omitempty"`
	RecipientDomain []string `yaml:"recipient_domain,omitempty"`
	SenderDomain    []string `yaml:"sender_domain,omitempty"`
	Decoder         []string `yaml:"decoder,omitempty"`
	Kind            []string `yaml:"kind,omitempty"`
	Command         []string `yaml:"command,omitempty"`
	DiagnosticType  []string `yaml:"diagnostic_type,omitempty"`
	Category        []string `yaml:"category,omitempty"`
	FeedbackType    []string `yaml:"feedback_type,omitempty"`
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
	Command   string // SMTP command the failure answered: RCPT, DATA, MAIL, ...
	DiagType  string // type of the DSN's Diagnostic-Code: smtp, x-unix, ...
	Category  string // the sending MTA's own class of the failure: bad-mailbox, ...
	Feedback  string // an ARF report's Feedback-Type: abuse, auth-failure, ...
	Action    string

	lower   string // Text lower-cased with whitespace folded, filled by Prepare
	ascii   bool   // Text is all ASCII, filled by Prepare
	ready   bool
	idx     *index    // the index whose phrases present holds
	present phraseSet // phrases of idx present in lower
	// entries of idx with one of their phrases present
	candidates phraseSet
}

// Reset makes s the subject next, as if it were a new Subject, but keeps
// the room s has made for matching, so that one Subject can serve many
// matches without allocating it again.
func (s *Subject) Reset(next Subject) {
	present, candidates := s.present, s.candidates
	*s = next
	s.lower, s.ascii, s.ready, s.idx = "", false, false, nil
	s.present, s.candidates = present, candidates
}

// Prepare computes the folded form of the text once; Match calls it when the
// caller has not.
func (s *Subject) Prepare() {
	s.lower = Fold(s.Text)
	s.ascii = isASCII(s.Text)
	s.ready = true
	s.idx = nil
}

// Fold lower-cases s and folds every run of white space to one space, the
// form phrases are compared in. The reply and status codes that servers
// repeat at the start of each line of a multi-line reply ("550-5.7.1 ",
// "550 5.7.1 ") are dropped, so that a sentence cut across lines reads whole
// again; codes are matched by the status and reply_code conditions.
func Fold(s string) string {
	// appended to a byte slice rather than a strings.Builder: one call less
	// per byte
	b := make([]byte, 0, len(s))
	space := true
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			switch c {
			case ' ', '\t', '\n', '\r', '\f', '\v':
				if !space {
					b = append(b, ' ')
					space = true
				}
				i++
				continue
			}
			if space && '2' <= c && c <= '5' {
				if n := continuation(s[i:]); n > 0 {
					i += n
					continue
				}
			}
			space = false
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == 0xa0 || r == 0x3000 {
			if !space {
				b = append(b, ' ')
				space = true
			}
			continue
		}
		space = false
		if l := unicode.ToLower(r); l != r {
			b = utf8.AppendRune(b, l)
		} else {
			b = append(b, s[i-size:i]...)
		}
	}
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1] // strings.TrimRight(b, " ")
	}
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b)) // b is not written again
}

// continuation returns the length of a reply-line marker at the start of s,
// "550-" optionally followed by an enhanced status code, or "550 5.7.1", with
// the white space after it; 0 when there is none.
func continuation(s string) int {
	if len(s) < 5 || !isDigit(s[1]) || !isDigit(s[2]) || (s[3] != '-' && s[3] != ' ') {
		return 0
	}
	i := 4
	// a status code d.d{1,3}.d{1,3}: optional after "550-", required after "550 "
	if j := statusAt(s[i:]); j > 0 {
		i += j
	} else if s[3] == ' ' {
		return 0
	}
	if i >= len(s) || (s[i] != ' ' && s[i] != '\t') {
		return 0
	}
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func statusAt(s string) int {
	if len(s) < 5 || s[0] < '2' || s[0] > '5' || s[1] != '.' {
		return 0
	}
	i := 2
	for n := 0; n < 2; n++ {
		k := i
		for i < len(s) && isDigit(s[i]) && i-k < 3 {
			i++
		}
		if i == k {
			return 0
		}
		if n == 0 {
			if i >= len(s) || s[i] != '.' {
				return 0
			}
			i++
		}
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

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
	var err error
	if r.phrases, err = foldAll(r.Name, "phrases", m.Phrases); err != nil {
		return err
	}
	if r.andPhrases, err = foldAll(r.Name, "and_phrases", m.AndPhrases); err != nil {
		return err
	}
	if r.notPhrases, err = foldAll(r.Name, "not_phrases", m.NotPhrases); err != nil {
		return err
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
		r.reNeeds = regexNeeds(src)
	}
	if m.isEmpty() {
		return fmt.Errorf("rule %q has no condition", r.Name)
	}
	return nil
}

func foldAll(rule, field string, list []string) ([]string, error) {
	out := make([]string, 0, len(list))
	for i, p := range list {
		f := Fold(p)
		if f == "" {
			return nil, fieldErr("match."+field, i, "rule %q: empty phrase in %s", rule, field)
		}
		out = append(out, f)
	}
	return out, nil
}

func (m *Match) isEmpty() bool {
	return len(m.Status) == 0 && len(m.ReplyCode) == 0 && len(m.Phrases) == 0 && m.Regex == "" &&
		len(m.AndPhrases) == 0 && len(m.NotPhrases) == 0 &&
		len(m.RemoteMTA) == 0 && len(m.RecipientDomain) == 0 && len(m.SenderDomain) == 0 &&
		len(m.Decoder) == 0 && len(m.Kind) == 0 && len(m.Action) == 0 && len(m.Command) == 0 && len(m.DiagnosticType) == 0 && len(m.Category) == 0 && len(m.FeedbackType) == 0
}

func validStatusPattern(p string) bool {
	if p == None {
		return true
	}
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
	if p == None {
		return true
	}
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

// statusMatches reports whether an enhanced status code matches a pattern:
// their dot-separated parts are compared in turn, a "*" part matching any
// one, a trailing "*" the rest of the code. The parts are found by hand
// rather than with strings.Cut: rules check it for many a recipient.
func statusMatches(pattern, code string) bool {
	if pattern == None || code == "" {
		return pattern == None && code == ""
	}
	for i, j := 0, 0; ; {
		pe := i
		for pe < len(pattern) && pattern[pe] != '.' {
			pe++
		}
		ce := j
		for ce < len(code) && code[ce] != '.' {
			ce++
		}
		pmore, cmore := pe < len(pattern), ce < len(code)
		if pp := pattern[i:pe]; pp == "*" {
			if !pmore {
				return true // a trailing * matches the rest
			}
		} else if pp != code[j:ce] {
			return false
		}
		if !pmore || !cmore {
			return pmore == cmore
		}
		i, j = pe+1, ce+1
	}
}

func replyMatches(pattern, code string) bool {
	if pattern == None || len(code) != 3 {
		return pattern == None && code == ""
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

func anyEqual(list []string, v string) (string, bool) {
	for _, x := range list {
		if strings.EqualFold(x, v) || v == "" && x == None {
			return x, true
		}
	}
	return "", false
}

func anyHost(list []string, host string) (string, bool) {
	for _, x := range list {
		if hostMatches(x, host) {
			return x, true
		}
	}
	return "", false
}

func anyReply(list []string, code string) (string, bool) {
	for _, x := range list {
		if replyMatches(x, code) {
			return x, true
		}
	}
	return "", false
}

func anyStatus(list []string, code string) (string, bool) {
	for _, x := range list {
		if statusMatches(x, code) {
			return x, true
		}
	}
	return "", false
}

// matchesWith reports whether every condition of the rule holds for s, and
// which condition best explains the match (the text ones first). With an
// index entry, the phrases are looked up in the set the index found;
// without, they are searched in the text.
func (r *Rule) matchesWith(s *Subject, e *entry) (Hit, bool) {
	m := &r.Match
	var hit Hit
	// Conditions on a word of the subject, compared case-insensitively.
	if !wordHolds(m.Kind, s.Kind, "kind", &hit) ||
		!wordHolds(m.DiagnosticType, s.DiagType, "diagnostic_type", &hit) ||
		!wordHolds(m.Category, s.Category, "category", &hit) ||
		!wordHolds(m.FeedbackType, s.Feedback, "feedback_type", &hit) ||
		!wordHolds(m.Command, s.Command, "command", &hit) ||
		!wordHolds(m.Action, s.Action, "action", &hit) ||
		!wordHolds(m.Decoder, s.Decoder, "decoder", &hit) {
		return hit, false
	}
	if len(m.RemoteMTA) > 0 {
		h, ok := anyHost(m.RemoteMTA, s.RemoteMTA)
		if !ok {
			return hit, false
		}
		hit = Hit{"remote_mta", h}
	}
	if len(m.RecipientDomain) > 0 {
		h, ok := anyHost(m.RecipientDomain, domainOf(s.Recipient))
		if !ok {
			return hit, false
		}
		hit = Hit{"recipient_domain", h}
	}
	if len(m.SenderDomain) > 0 {
		h, ok := anyHost(m.SenderDomain, domainOf(s.Sender))
		if !ok {
			return hit, false
		}
		hit = Hit{"sender_domain", h}
	}
	if len(m.ReplyCode) > 0 {
		c, ok := anyReply(m.ReplyCode, s.ReplyCode)
		if !ok {
			return hit, false
		}
		hit = Hit{"reply_code", c}
	}
	if len(m.Status) > 0 {
		c, ok := anyStatus(m.Status, s.Status)
		if !ok {
			return hit, false
		}
		hit = Hit{"status", c}
	}
	// phrases before the regex: a set lookup is cheaper than a regex run
	var phrase string
	if len(r.phrases) > 0 || len(r.andPhrases) > 0 || len(r.notPhrases) > 0 {
		var ok bool
		if e != nil {
			phrase, ok = e.phrases(s.present)
		} else {
			phrase, ok = r.searchPhrases(s)
		}
		if !ok {
			return hit, false
		}
	}
	if r.re != nil {
		if !s.ready {
			s.Prepare()
		}
		may := false
		if e != nil {
			may = e.regexMay(s.present)
		} else {
			may = r.mayMatch(s.lower)
		}
		if !may {
			return hit, false // the regex cannot match: spare its run
		}
		loc := r.re.FindStringIndex(s.Text)
		if loc == nil {
			return hit, false
		}
		hit = Hit{"regex", s.Text[loc[0]:loc[1]]}
	}
	if phrase != "" {
		hit = Hit{"phrases", phrase}
	}
	return hit, true
}

// wordHolds checks a condition on a word of the subject: it holds when the
// list is empty, or when one of its entries is the value (see anyEqual),
// which then becomes the hit.
func wordHolds(list []string, value, field string, hit *Hit) bool {
	if len(list) == 0 {
		return true
	}
	v, ok := anyEqual(list, value)
	if ok {
		*hit = Hit{field, v}
	}
	return ok
}

// searchPhrases is entry.phrases without an index: it searches the text.
func (r *Rule) searchPhrases(s *Subject) (string, bool) {
	if !s.ready {
		s.Prepare()
	}
	in := func(x string) bool { return strings.Contains(s.lower, x) }
	if _, found := anyOf(r.notPhrases, in); found {
		return "", false
	}
	also, found := anyOf(r.andPhrases, in)
	if len(r.andPhrases) > 0 && !found {
		return "", false
	}
	if len(r.phrases) == 0 {
		return also, true
	}
	return anyOf(r.phrases, in)
}

// Matches reports whether every condition of the rule holds for s.
func (r *Rule) Matches(s *Subject) bool {
	_, ok := r.matchesWith(s, nil)
	return ok
}
