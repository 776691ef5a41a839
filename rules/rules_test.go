package rules

import (
	"errors"
	"math/rand"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestStatusPattern(t *testing.T) {
	for _, c := range []struct {
		pattern, code string
		want          bool
	}{
		{"5.7.*", "5.7.1", true},
		{"5.7.*", "5.7.509", true},
		{"5.7.*", "5.1.1", false},
		{"5.7.*", "4.7.1", false},
		{"5.*", "5.2.2", true},
		{"*.7.1", "4.7.1", true},
		{"5.1.1", "5.1.1", true},
		{"5.1.1", "5.1.10", false},
		{"5.1", "5.1.1", false},
		{"5.7.*", "", false},
		{"none", "", true},
		{"none", "5.0.0", false},
	} {
		if got := statusMatches(c.pattern, c.code); got != c.want {
			t.Errorf("statusMatches(%q, %q) = %v, want %v", c.pattern, c.code, got, c.want)
		}
	}
}

// statusMatchesCut is the plain form of statusMatches, with strings.Cut.
func statusMatchesCut(pattern, code string) bool {
	if pattern == None || code == "" {
		return pattern == None && code == ""
	}
	for {
		pp, prest, pmore := strings.Cut(pattern, ".")
		cp, crest, cmore := strings.Cut(code, ".")
		if pp == "*" {
			if !pmore {
				return true
			}
		} else if pp != cp {
			return false
		}
		if !pmore || !cmore {
			return pmore == cmore
		}
		pattern, code = prest, crest
	}
}

// TestStatusMatchesAgainstCut compares statusMatches with statusMatchesCut
// on random patterns and codes over a small alphabet.
func TestStatusMatchesAgainstCut(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	alpha := "45.*1."
	word := func() string {
		b := make([]byte, rng.Intn(8))
		for i := range b {
			b[i] = alpha[rng.Intn(len(alpha))]
		}
		return string(b)
	}
	for n := 0; n < 200000; n++ {
		p, c := word(), word()
		if n%50 == 0 {
			p = None
		}
		if got, want := statusMatches(p, c), statusMatchesCut(p, c); got != want {
			t.Fatalf("statusMatches(%q, %q) = %v, want %v", p, c, got, want)
		}
	}
}

func TestReplyPattern(t *testing.T) {
	for _, c := range []struct {
		pattern, code string
		want          bool
	}{
		{"55x", "550", true},
		{"55x", "554", true},
		{"55x", "450", false},
		{"5xx", "521", true},
		{"550", "550", true},
		{"550", "551", false},
		{"55X", "552", true},
		{"55x", "", false},
		{"none", "", true},
		{"none", "550", false},
	} {
		if got := replyMatches(c.pattern, c.code); got != c.want {
			t.Errorf("replyMatches(%q, %q) = %v, want %v", c.pattern, c.code, got, c.want)
		}
	}
}

func TestHostAndDomainConditions(t *testing.T) {
	f, err := Parse("user.yaml", []byte(`
rules:
  - name: by-mta
    match: {remote_mta: [".example.net"]}
    set: {reason: blocked}
  - name: by-recipient
    match: {recipient_domain: ["example.org"]}
    set: {reason: filtered}
  - name: by-sender
    match: {sender_domain: ["news.example.com"]}
    set: {reason: rejected}
`))
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewSet(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sub  Subject
		want string
	}{
		{Subject{RemoteMTA: "mx1.example.net"}, "by-mta"},
		{Subject{RemoteMTA: "example.net."}, "by-mta"},
		{Subject{RemoteMTA: "badexample.net"}, ""},
		{Subject{Recipient: "a@example.org"}, "by-recipient"},
		{Subject{Recipient: "a@mail.example.org"}, "by-recipient"},
		{Subject{Recipient: "a@example.org.evil"}, ""},
		{Subject{Sender: "b@news.example.com"}, "by-sender"},
		{Subject{Sender: "b@example.com"}, ""},
	} {
		r, _ := set.Match(&c.sub)
		got := ""
		if r != nil && r.Origin[:4] == "user" {
			got = r.Name
		}
		if got != c.want {
			t.Errorf("%+v: got rule %q, want %q", c.sub, got, c.want)
		}
	}
}

func TestFirstMatchWins(t *testing.T) {
	f, err := Parse("user.yaml", []byte(`
rules:
  - name: first
    match: {phrases: ["quota"], status: ["5.2.*"]}
    set: {reason: mailboxfull, label: one}
  - name: second
    match: {phrases: ["quota"]}
    set: {reason: speeding, label: two}
`))
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewSet(f)
	if err != nil {
		t.Fatal(err)
	}
	r, h := set.Match(&Subject{Status: "5.2.2", Text: "Over QUOTA"})
	if r == nil || r.Name != "first" || h.Field != "phrases" || h.Matched != "quota" {
		t.Fatalf("got %v %+v, want first by phrase quota", r, h)
	}
	r, _ = set.Match(&Subject{Status: "5.7.1", Text: "sending quota"})
	if r == nil || r.Name != "second" {
		t.Fatalf("got %v, want second", r)
	}
	// user rules come before the built-in ones
	r, _ = set.Match(&Subject{Status: "5.1.1", Text: "user unknown, quota"})
	if r == nil || r.Name != "first" && r.Name != "second" {
		t.Fatalf("got %v, want a user rule", r)
	}
}

func TestAndNotPhrases(t *testing.T) {
	f, err := Parse("user.yaml", []byte(`
rules:
  - name: both
    match: {phrases: ["user unknown"], and_phrases: ["end of data"], not_phrases: ["test"]}
    set: {reason: filtered}
`))
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewSet(f)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{
		"550 User unknown (in reply to end of DATA command)":         true,
		"550 User unknown (in reply to RCPT TO command)":             false,
		"550 User  Unknown\n(in reply to end of\tDATA command) test": false,
	}
	for text, want := range cases {
		sub := Subject{Text: text}
		r, _ := set.Match(&sub)
		if got := r != nil && r.Name == "both"; got != want {
			t.Errorf("%q: matched=%v, want %v", text, got, want)
		}
		// the rule alone, without the index, agrees
		if got := f.Rules[0].Matches(&Subject{Text: text}); got != want {
			t.Errorf("%q: Rule.Matches=%v, want %v", text, got, want)
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"  User\tUNKNOWN \n": "user unknown",
		"Boîte PLEINE":       "boîte pleine",
		"550-5.2.1 The user you are trying to contact is receiving mail at a rate that 550-5.2.1 prevents additional messages": "the user you are trying to contact is receiving mail at a rate that prevents additional messages",
		"multiple 550 5.7.1 addresses": "multiple addresses",
		"550 Rejected":                 "550 rejected",
		"2024-06-24 done":              "2024-06-24 done",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func parseErr(t *testing.T, src string) *Error {
	t.Helper()
	_, err := Parse("bad.yaml", []byte(src))
	if err == nil {
		t.Fatalf("no error for:\n%s", src)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *rules.Error", err)
	}
	return e
}

func TestValidationErrors(t *testing.T) {
	e := parseErr(t, `rules:
  - name: x
    match:
      phrase: ["typo"]
    set: {reason: blocked}
`)
	if e.Line != 4 || e.Column != 7 || !strings.Contains(e.Msg, `unknown field "phrase"`) {
		t.Errorf("unknown field: got %v", e)
	}
	if !strings.Contains(e.Error(), "bad.yaml:4:7") {
		t.Errorf("message lacks file:line:column: %v", e)
	}

	e = parseErr(t, "rules:\n  - name: x\n    match: {phrases: [a]}\n    set: {reason: nosuchreason}\n")
	if e.Line != 4 || !strings.Contains(e.Msg, `unknown reason "nosuchreason"`) {
		t.Errorf("unknown reason: got %v", e)
	}

	e = parseErr(t, "rules:\n  - name: x\n    match: {regex: 'a(b'}\n    set: {reason: blocked}\n")
	if e.Line != 3 || !strings.Contains(e.Msg, "regex") {
		t.Errorf("bad regex: got %v", e)
	}

	for _, p := range []string{"5.7.x", "6.1.1", "5..1", "5.1.1.1", "abc"} {
		e = parseErr(t, "rules:\n  - name: x\n    match: {status: ['"+p+"']}\n    set: {reason: blocked}\n")
		if e.Line != 3 || !strings.Contains(e.Msg, "status") {
			t.Errorf("bad status %q: got %v", p, e)
		}
	}

	e = parseErr(t, "rules:\n  - name: x\n    match: {reply_code: ['5x']}\n    set: {reason: blocked}\n")
	if !strings.Contains(e.Msg, "reply_code") {
		t.Errorf("bad reply code: got %v", e)
	}

	e = parseErr(t, "rules:\n  - name: x\n    match: {phrases: [a]}\n    set: {reason: blocked, action: nowhere}\n")
	if !strings.Contains(e.Msg, `action "nowhere"`) {
		t.Errorf("unknown action: got %v", e)
	}

	e = parseErr(t, "rules:\n  - name: x\n    match: {phrases: [a]}\n    set: {reason: blocked, side: left}\n")
	if !strings.Contains(e.Msg, `side "left"`) {
		t.Errorf("bad side: got %v", e)
	}

	e = parseErr(t, "rules:\n  - name: x\n    match: {}\n    set: {reason: blocked}\n")
	if !strings.Contains(e.Msg, "no condition") {
		t.Errorf("no condition: got %v", e)
	}

	e = parseErr(t, "rules:\n  - name: x\n    match: {phrases: ['  ']}\n    set: {reason: blocked}\n")
	if !strings.Contains(e.Msg, "empty phrase") {
		t.Errorf("empty phrase: got %v", e)
	}
}

func TestBuiltinLoads(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Rules) < 50 {
		t.Fatalf("only %d built-in rules", len(set.Rules))
	}
	for _, r := range set.Rules {
		if r.Set.Reason != "" {
			if _, ok := set.Reason(r.Set.Reason); !ok {
				t.Errorf("rule %s: unknown reason %s", r.Name, r.Set.Reason)
			}
		}
	}
}

// setOf returns the set of one rule file, given as text, before the
// built-in rules.
func setOf(t *testing.T, name, text string) *Set {
	t.Helper()
	f, err := Parse(name, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewSet(f)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestCommandCondition(t *testing.T) {
	set := setOf(t, "cmd.yaml", "rules:\n  - name: data-stage\n    match: {command: [DATA], phrases: [refused]}\n    set: {reason: filtered}\n")
	at := func(cmd string) string {
		r, _ := set.Match(&Subject{Text: "550 refused", Command: cmd})
		if r == nil {
			return ""
		}
		return r.Name
	}
	if got := at("DATA"); got != "data-stage" {
		t.Errorf("at DATA: rule %q", got)
	}
	if got := at("RCPT"); got == "data-stage" {
		t.Errorf("at RCPT the data-stage rule matched")
	}
}

func TestNoneMatchesMissingValue(t *testing.T) {
	set := setOf(t, "none.yaml", "rules:\n  - name: bare\n    match: {status: [none], command: [none], reply_code: [\"5xx\"], phrases: [refused]}\n    set: {reason: filtered}\n")
	for _, c := range []struct {
		status, reply, command string
		want                   bool
	}{
		{"", "550", "", true},
		{"5.0.0", "550", "", false},
		{"", "550", "RCPT", false},
		{"", "", "", false},
	} {
		r, _ := set.Match(&Subject{Text: "550 refused", Status: c.status, ReplyCode: c.reply, Command: c.command})
		if got := r != nil && r.Name == "bare"; got != c.want {
			t.Errorf("status %q reply %q command %q: matched %v, want %v", c.status, c.reply, c.command, got, c.want)
		}
	}
}

// foldRef is Fold as it was first written, with a strings.Builder.
func foldRef(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			switch c {
			case ' ', '\t', '\n', '\r', '\f', '\v':
				if !space {
					b.WriteByte(' ')
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
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == 0xa0 || r == 0x3000 {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		space = false
		if l := unicode.ToLower(r); l != r {
			b.WriteRune(l)
		} else {
			b.WriteString(s[i-size : i])
		}
	}
	return strings.TrimRight(b.String(), " ")
}

func TestFoldAgreesWithRef(t *testing.T) {
	pieces := []string{"a", "Z", " ", "  ", "\t", "\n", "\r", "\v", "\f", "\u00a0", "\u3000", "550-", "550 ", "5.7.1 ", "4.2.2", "250-", "Ⱥ", "É", "\u212a", "\xff", "\xc2", "日", "x"}
	rng := rand.New(rand.NewSource(8))
	for n := 0; n < 20000; n++ {
		var b strings.Builder
		for k := rng.Intn(12); k > 0; k-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		s := b.String()
		if got, want := Fold(s), foldRef(s); got != want {
			t.Fatalf("Fold(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestSubjectReset checks that a Subject reused with Reset matches as a new
// one does.
func TestSubjectReset(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	subjects := []Subject{
		{Status: "5.1.1", Text: "550 5.1.1 <a@b.example>: Recipient address rejected: User unknown"},
		{ReplyCode: "552", Text: "Mailbox full"},
		{Text: "Die Postfach ist voll"},
		{Status: "4.4.7", Action: "delayed", Text: "delivery failed after 5 attempts"},
		{Text: ""},
		{Status: "5.7.1", Text: "Message rejected as spam; see https://example.com"},
	}
	var reused Subject
	for round := 0; round < 3; round++ {
		for _, sub := range subjects {
			fresh := sub
			r1, h1 := set.Match(&fresh)
			reused.Reset(sub)
			r2, h2 := set.Match(&reused)
			if r1 != r2 || h1 != h2 {
				t.Fatalf("%+v: reused subject matched %v %v, a new one %v %v", sub, r2, h2, r1, h1)
			}
		}
	}
}
