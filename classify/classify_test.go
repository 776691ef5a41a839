package classify

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newClassifier(t testing.TB) *Classifier {
	t.Helper()
	c, err := New(nil, "en")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClassifyReasons(t *testing.T) {
	c := newClassifier(t)
	for _, tc := range []struct {
		name                string
		status, reply, text string
		action              string
		reason              string
		hard                bool
	}{
		// the text decides over the code
		{"rate limit under 5.1.1", "5.1.1", "550", "550 5.1.1 Too many messages this hour from your account", "", "speeding", false},
		{"blocklist under 550", "", "550", "550 Your IP 192.0.2.1 is listed at zen.spamhaus.org", "", "blocked", false},
		{"user unknown", "5.1.1", "550", "550 5.1.1 <a@example.org>: Recipient address rejected: User unknown in virtual mailbox table", "", "userunknown", true},
		{"google no such user", "5.1.1", "550", "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking", "", "userunknown", true},
		{"mailbox full", "5.2.2", "552", "552 5.2.2 Mailbox full", "", "mailboxfull", false},
		{"quota temp", "4.2.2", "452", "452 4.2.2 Quota exceeded", "", "mailboxfull", false},
		{"suspended", "5.2.1", "550", "550 5.2.1 The email account that you tried to reach is disabled.", "", "suspend", false},
		{"spam", "5.7.1", "550", "550 5.7.1 Message rejected as spam by content filtering", "", "spamdetected", false},
		{"virus", "5.7.1", "554", "554 5.7.1 This message contains a virus (Eicar-Test-Signature)", "", "virusdetected", false},
		{"dmarc", "5.7.509", "550", "550 5.7.509 Access denied, sending domain EXAMPLE.COM does not pass DMARC verification", "", "authfailure", false},
		{"no ptr", "4.7.1", "450", "450 4.7.1 Client host rejected: cannot find your reverse hostname", "", "requireptr", false},
		{"relay", "5.7.1", "554", "554 5.7.1 <a@example.org>: Relay access denied", "", "norelaying", false},
		{"reputation", "4.7.650", "451", "451 4.7.650 The mail server has been temporarily rate limited due to IP reputation.", "", "badreputation", false},
		{"null mx", "5.1.10", "556", "556 5.1.10 Recipient address has null MX", "", "notaccept", true},
		{"null mx temporary", "4.1.10", "", "the domain doesn't receive email according to the administrator: null MX", "delayed", "notaccept", false},
		{"no such domain", "5.1.2", "", "Host or domain name not found. Name service error for name=example.invalid type=A: Host not found", "", "hostunknown", true},
		{"temporary nxdomain", "4.0.0", "", "DNS Error: DNS type 'mx' lookup of example.jp responded with code NXDOMAIN", "delayed", "networkerror", false},
		{"moved", "5.1.6", "550", "550 5.1.6 Recipient no longer at this address", "", "hasmoved", true},
		{"too big", "5.3.4", "552", "552 5.3.4 Message size exceeds fixed limit", "", "mesgtoobig", false},
		{"generic policy under 5.7.1", "5.7.1", "550", "550 5.7.1 Rejected by policy", "", "policyviolation", false},
		{"weak word under specific code", "5.2.2", "552", "552 5.2.2 Mailbox full, see our policy", "", "mailboxfull", false},
		{"starttls", "5.7.10", "530", "530 5.7.10 Must issue a STARTTLS command first", "", "failedstarttls", false},
		{"expired", "4.4.7", "", "retry timeout exceeded", "delayed", "expired", false},
		{"delayed, nothing else", "", "", "", "delayed", "expired", false},
		{"no valid recipients", "", "", "Error: No valid recipients for this MM", "", "userunknown", true},
		{"line limit after data", "", "500", "500 Line limit exceeded", "", "mesgtoobig", false},
		// languages
		{"de user", "5.0.0", "550", "550 Benutzer unbekannt", "", "userunknown", true},
		{"fr user", "5.0.0", "550", "550 Utilisateur inconnu", "", "userunknown", true},
		{"es user", "5.0.0", "550", "550 El usuario no existe", "", "userunknown", true},
		{"pt full", "", "552", "552 A caixa postal do destinatário está cheia", "", "mailboxfull", false},
		{"it full", "", "552", "552 Casella di posta piena", "", "mailboxfull", false},
		{"ru user", "5.0.0", "550", "550 Пользователь не найден", "", "userunknown", true},
		{"ja user", "", "", "このメールアドレスは存在しないため配信できませんでした", "", "userunknown", true},
		{"zh user", "", "", "收件人地址不存在，邮件无法投递", "", "userunknown", true},
		{"zh spam", "", "554", "554 邮件被识别为垃圾邮件", "", "spamdetected", false},
		{"fr blocklist", "", "550", "550 Adresse IP source bloquee pour incident de spam, liste noire", "", "blocked", false},
		{"ru rate", "", "450", "450 Слишком много сообщений, попробуйте позже", "", "speeding", false},
		{"ja full", "", "", "メールボックスがいっぱいです", "", "mailboxfull", false},
		{"de blocked", "", "554", "554 Ihre IP steht auf einer Sperrliste", "", "blocked", false},
		{"es spam", "", "550", "550 Mensaje rechazado: considerado spam", "", "spamdetected", false},
		{"it user", "5.0.0", "550", "550 Utente sconosciuto", "", "userunknown", true},
		{"de full, words between", "", "", "Das Postfach des Empfängers ist voll", "", "mailboxfull", false},
		{"fr full, words between", "", "", "La boîte aux lettres du destinataire est pleine", "", "mailboxfull", false},
		{"ja address not found", "", "", "宛先のメールアドレスが見つかりません。", "", "userunknown", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			action := tc.action
			if action == "" {
				action = "failed"
			}
			v := c.Classify(Input{Kind: "dsn", Action: action, Status: tc.status, ReplyCode: tc.reply, Diagnostic: tc.text, Recipient: "a@example.org"})
			if v.Reason != tc.reason || v.Hard != tc.hard {
				t.Errorf("got %s hard=%v (rule %s, %s %q), want %s hard=%v", v.Reason, v.Hard, v.Rule, v.Hit.Field, v.Hit.Matched, tc.reason, tc.hard)
			}
		})
	}
}

// A bare "550 User unknown" that says neither an enhanced status code nor the
// SMTP command is filtered; the same words at RCPT or with a status code are
// an unknown user.
func TestUnknownUserStep(t *testing.T) {
	c := newClassifier(t)
	for _, tc := range []struct {
		status, command, reason string
	}{
		{"", "", "filtered"},
		{"", "RCPT", "userunknown"},
		{"5.0.0", "", "userunknown"},
		{"", "DATA", "filtered"},
	} {
		v := c.Classify(Input{Kind: "ndr", Action: "failed", Status: tc.status, ReplyCode: "550", Command: tc.command, Diagnostic: "550 <a@example.org>: User unknown"})
		if v.Reason != tc.reason {
			t.Errorf("status %q command %q: got %s (rule %s), want %s", tc.status, tc.command, v.Reason, v.Rule, tc.reason)
		}
	}
}

// The SMTP step decides when the words alone do not: a refusal at EHLO is
// about the sending host, a bare refusal after the data is about the content.
func TestSMTPStep(t *testing.T) {
	c := newClassifier(t)
	for _, tc := range []struct {
		command, reply, text, reason string
	}{
		{"EHLO", "550", "550 Rejected", "blocked"},
		{"CONN", "421", "421 Service not available", "blocked"},
		{"DATA", "550", "550 5.2.0 Mail rejected", "spamdetected"},
		{"RCPT", "550", "550 Rejected", "userunknown"},
		{"DATA", "552", "552 Message size exceeds fixed maximum message size", "mesgtoobig"},
	} {
		v := c.Classify(Input{Kind: "ndr", Action: "failed", ReplyCode: tc.reply, Command: tc.command, Diagnostic: tc.text})
		if v.Reason != tc.reason {
			t.Errorf("%s %q: got %s (rule %s), want %s", tc.command, tc.text, v.Reason, v.Rule, tc.reason)
		}
	}
}

// The sending MTA's own class decides over a generic status, not over
// words that say more.
func TestMTACategory(t *testing.T) {
	c := newClassifier(t)
	v := c.Classify(Input{Kind: "dsn", Action: "failed", Status: "5.0.0", ReplyCode: "550", Diagnostic: "550 Requested action not taken", Category: "quota-issues"})
	if v.Reason != "mailboxfull" {
		t.Errorf("quota-issues: got %s (rule %s)", v.Reason, v.Rule)
	}
	v = c.Classify(Input{Kind: "dsn", Action: "failed", Status: "5.0.0", ReplyCode: "550", Diagnostic: "550 Your IP is listed at zen.spamhaus.org", Category: "bad-mailbox"})
	if v.Reason != "blocked" {
		t.Errorf("the text should decide over the category: got %s (rule %s)", v.Reason, v.Rule)
	}
}

// A delay warning is never a hard bounce: the message is still queued, and a
// temporary "user unknown" (a directory that could not be reached) must not
// put the address on a suppression list.
func TestDelayedIsNeverHard(t *testing.T) {
	c := newClassifier(t)
	in := Input{Kind: "ndr", Action: "delayed", Status: "4.1.1", ReplyCode: "450",
		Diagnostic: "450 4.1.1 <bob@example.org>: Recipient address rejected: User unknown in local recipient table"}
	v := c.Classify(in)
	assert.Equal(t, "userunknown", v.Reason)
	assert.False(t, v.Hard)
	in.Action = "failed" // the queue gave up: the last answer decides
	assert.True(t, c.Classify(in).Hard)
}

// An ARF report's Feedback-Type decides the advice: a complaint, a DMARC
// failure report, a reader saying "not spam" call for different moves.
func TestFeedbackType(t *testing.T) {
	c := newClassifier(t)
	for _, tc := range []struct{ typ, side, action string }{
		{"abuse", "sender", "handle-complaint"},
		{"Auth-Failure", "sender", "check-spf-dkim-dmarc"},
		{"not-spam", "none", "no-action"},
	} {
		v := c.Classify(Input{Kind: "feedback", Action: "failed", FeedbackType: tc.typ})
		assert.Equal(t, "feedback", v.Reason, tc.typ)
		assert.Equal(t, tc.side, v.Side, tc.typ)
		assert.Equal(t, tc.action, v.Action, tc.typ)
	}
}

func TestPseudoStatus(t *testing.T) {
	c := newClassifier(t)
	v := c.Classify(Input{Kind: "ndr", Action: "failed", Diagnostic: "No such user here"})
	if v.Status != "5.0.911" || v.Reason != "userunknown" || !v.Hard {
		t.Errorf("got %s %s hard=%v, want userunknown 5.0.911 hard", v.Reason, v.Status, v.Hard)
	}
	v = c.Classify(Input{Kind: "ndr", Action: "delayed", Diagnostic: "Mailbox full"})
	if v.Status != "4.0.922" || v.Hard {
		t.Errorf("got %s hard=%v, want 4.0.922 soft", v.Status, v.Hard)
	}
	v = c.Classify(Input{Kind: "ndr", Action: "failed", ReplyCode: "450", Diagnostic: "greylisted"})
	if v.Status[0] != '4' {
		t.Errorf("a 450 without status got %s, want a 4.0.9NN pseudo code", v.Status)
	}
	v = c.Classify(Input{Kind: "ndr", Action: "failed", Status: "5.1.1", Diagnostic: "User unknown"})
	if v.Status != "5.1.1" {
		t.Errorf("a real status was replaced: %s", v.Status)
	}
}

func TestHardOnlyForAddressReasons(t *testing.T) {
	c := newClassifier(t)
	hard := map[string]bool{"userunknown": true, "hostunknown": true, "hasmoved": true}
	for _, in := range []Input{
		{Status: "5.1.1", ReplyCode: "550", Diagnostic: "user unknown"},
		{Status: "5.1.2", Diagnostic: "host not found"},
		{Status: "5.1.6", Diagnostic: "mailbox has moved"},
		{Status: "5.2.2", Diagnostic: "mailbox full"},
		{Status: "5.7.1", Diagnostic: "blocked using spamhaus"},
		{Status: "5.7.1", Diagnostic: "spam"},
		{Status: "5.2.1", Diagnostic: "account disabled"},
		{Status: "4.4.7", Action: "delayed", Diagnostic: "retry timeout exceeded"},
		{Status: "5.1.10", Diagnostic: "null MX"},
		{Status: "4.3.2", Action: "delayed", Diagnostic: "does not accept mail"},
	} {
		if in.Action == "" {
			in.Action = "failed"
		}
		v := c.Classify(in)
		want := hard[v.Reason] || (v.Reason == "notaccept" && in.Status[0] == '5')
		if v.Hard != want {
			t.Errorf("%+v: %s hard=%v, want hard=%v", in, v.Reason, v.Hard, want)
		}
	}
}

func ExampleClassifier_Classify() {
	c, err := New(nil, "en")
	if err != nil {
		panic(err)
	}
	v := c.Classify(Input{
		Kind:       "dsn",
		Action:     "failed",
		Status:     "5.1.1",
		ReplyCode:  "550",
		Diagnostic: "550 5.1.1 Too many messages this hour from your account",
	})
	fmt.Println(v.Reason, v.Hard, v.Side, v.Action)
	v = c.Classify(Input{Kind: "ndr", Action: "failed", Diagnostic: "Sorry, no mailbox here by that name. unknown user"})
	fmt.Println(v.Reason, v.Hard, v.Status)
	// Output:
	// speeding false sender respect-rate-limit
	// userunknown true 5.0.911
}

// The stage and kind of a failure change what the same words mean.
func TestClassifyContext(t *testing.T) {
	c := newClassifier(t)
	for _, tc := range []struct {
		name   string
		in     Input
		reason string
	}{
		{"user unknown at RCPT with a mailbox status", Input{Status: "5.2.1", Command: "RCPT", Diagnostic: "550 5.2.1 <a@example.org>... User Unknown"}, "userunknown"},
		{"user unknown after DATA", Input{Command: "DATA", Diagnostic: "550 User unknown"}, "filtered"},
		{"user unknown with a policy status", Input{Status: "5.7.1", Diagnostic: "550 5.7.1 User Unknown: a@example.org"}, "filtered"},
		{"local delivery program", Input{DiagnosticType: "x-unix", Diagnostic: "temporary failure"}, "mailererror"},
		{"remote temporary failure", Input{DiagnosticType: "smtp", ReplyCode: "451", Diagnostic: "451 temporary local problem"}, "systemerror"},
		{"a bare temporary failure", Input{DiagnosticType: "smtp", ReplyCode: "450", Status: "4.0.0", Diagnostic: "450 4.0.0 Temporary failure"}, "onhold"},
		{"an address blocklisted, not the IP", Input{Diagnostic: "Sorry, you are sending to/from an address that has been blacklisted"}, "rejected"},
		{"a header refused", Input{ReplyCode: "554", Status: "5.7.0", Diagnostic: "554 5.7.0 Header error"}, "policyviolation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Kind, tc.in.Action = "dsn", "failed"
			v := c.Classify(tc.in)
			if v.Reason != tc.reason {
				t.Errorf("got %s (rule %s), want %s", v.Reason, v.Rule, tc.reason)
			}
		})
	}
}

// TestWordings runs the real-world wordings of testdata/wordings.txt.
func TestWordings(t *testing.T) {
	data, err := os.ReadFile("testdata/wordings.txt")
	require.NoError(t, err)
	c := newClassifier(t)
	codes := regexp.MustCompile(`^(\d{3})[ -](?:(\d\.\d{1,3}\.\d{1,3}) )?`)
	n := 0
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		want, text, ok := strings.Cut(line, "\t")
		require.True(t, ok, "line %d: no tab", i+1)
		in := Input{Kind: "dsn", Action: "failed", Command: "RCPT", Diagnostic: text}
		if m := codes.FindStringSubmatch(text); m != nil {
			in.ReplyCode, in.Status = m[1], m[2]
		}
		if v := c.Classify(in); v.Reason != want {
			t.Errorf("line %d: %q: got %s (rule %s), want %s", i+1, text, v.Reason, v.Rule, want)
		}
		n++
	}
	require.Greater(t, n, 100, "wordings read")
}
