package parser

import (
	"bytes"
	"fmt"
	"math/rand"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseFile(t *testing.T, name string) *Bounce {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	b, err := Parse(data)
	require.NoError(t, err)
	return b
}

func TestDSNSeveralRecipients(t *testing.T) {
	b := parseFile(t, "dsn-multi.eml")
	assert.Equal(t, KindDSN, b.Kind)
	assert.Equal(t, "postfix", b.Decoder)
	assert.Equal(t, "mx.example.net", b.ReportingMTA)
	assert.Equal(t, "m1@example.org", b.Original.MessageID)
	require.Len(t, b.Recipients, 2)
	r := b.Recipients[0]
	assert.Equal(t, "bob@example.com", r.Address)
	assert.Equal(t, "failed", r.Action)
	// the text's 5.1.1 beats the generic 5.0.0 of the Status field
	assert.Equal(t, "5.1.1", r.Status)
	assert.Equal(t, "550", r.ReplyCode)
	assert.Equal(t, "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown", r.Diagnostic)
	assert.Equal(t, "mx.example.com", r.RemoteMTA)
	r = b.Recipients[1]
	assert.Equal(t, "carol@example.com", r.Address)
	assert.Equal(t, "5.2.2", r.Status)
	assert.Equal(t, "552", r.ReplyCode)
	assert.Equal(t, "552 5.2.2 Mailbox full", r.Diagnostic)
}

func TestGlobalDSNUTF8Address(t *testing.T) {
	b := parseFile(t, "global-dsn.eml")
	assert.Equal(t, KindDSN, b.Kind)
	require.Len(t, b.Recipients, 1)
	assert.Equal(t, "用户@例子.example", b.Recipients[0].Address)
	assert.Equal(t, "5.1.1", b.Recipients[0].Status)
	assert.Equal(t, "550", b.Recipients[0].ReplyCode)
}

func TestARF(t *testing.T) {
	b := parseFile(t, "arf.eml")
	assert.Equal(t, KindFeedback, b.Kind)
	assert.Equal(t, "abuse", b.FeedbackType)
	require.Len(t, b.Recipients, 1)
	assert.Equal(t, "dave@example.net", b.Recipients[0].Address)
	assert.Equal(t, "abuse", b.Recipients[0].FeedbackType)
}

func TestAutoReply(t *testing.T) {
	b := parseFile(t, "autoreply.eml")
	assert.Equal(t, KindAutoReply, b.Kind)
	require.Len(t, b.Recipients, 1)
	assert.Equal(t, "erin@example.com", b.Recipients[0].Address)
}

func TestNotABounce(t *testing.T) {
	b := parseFile(t, "notbounce.eml")
	assert.Equal(t, KindNotBounce, b.Kind)
	assert.Empty(t, b.Recipients)
}

func TestFreeText(t *testing.T) {
	cases := []struct {
		file, decoder, addr, status, reply, diag string
	}{
		{"postfix.eml", "postfix", "henry@example.com", "5.7.1", "550",
			"host mx.example.com[192.0.2.7] said: 550 5.7.1 Service unavailable; client [198.51.100.2] blocked using zen.example (in reply to RCPT TO command)"},
		{"exim.eml", "exim", "ivan@example.com", "5.1.1", "550",
			"SMTP error from remote mail server after RCPT TO:<ivan@example.com>: host mx.example.com [192.0.2.5]: 550 5.1.1 <ivan@example.com>: no such user"},
		// qmail gives a reply code only: no status is made up
		{"qmail.eml", "qmail", "judy@example.com", "", "552",
			"192.0.2.3 does not like recipient. Remote host said: 552 Mailbox quota exceeded Giving up on 192.0.2.3."},
		{"sendmail.eml", "sendmail", "ken@example.com", "5.1.1", "550", ""},
		{"exchange.eml", "exchange", "leo@example.com", "5.1.1", "550",
			"The e-mail account does not exist at the organization this message was sent to. <mail.example.com #5.1.1 smtp;550 5.1.1 RESOLVER.ADR.RecipNotFound; not found>"},
		{"gmail.eml", "gmail", "mia@example.com", "5.2.1", "550", ""},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			b := parseFile(t, c.file)
			assert.Equal(t, KindNDR, b.Kind)
			assert.Equal(t, c.decoder, b.Decoder)
			require.Len(t, b.Recipients, 1)
			r := b.Recipients[0]
			assert.Equal(t, c.addr, r.Address)
			assert.Equal(t, c.status, r.Status)
			assert.Equal(t, c.reply, r.ReplyCode)
			if c.diag != "" {
				assert.Equal(t, c.diag, r.Diagnostic)
			}
			assert.NotContains(t, strings.ToLower(r.Diagnostic), "created automatically")
			assert.NotContains(t, strings.ToLower(r.Diagnostic), "technical details")
		})
	}
}

// A server's answer that names the envelope sender ("Domain of sender
// address ... does not exist") is a detail of the recipient it is quoted
// under, not another recipient, even when the original is not returned to
// tell who the sender was.
func TestSenderNamedInReply(t *testing.T) {
	head := "From: MAILER-DAEMON@mx.example.com\nTo: ops@example.com\nSubject: %s\n\n"
	for name, c := range map[string]struct{ subject, body, status, reply string }{
		"exim": {"Mail delivery failed: returning message to sender",
			"A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n" +
				"  rcpt@example.net\n    host mx.example.net [192.0.2.1]\n    SMTP error from remote mail server after MAIL FROM:<bulk@lists.example.com>:\n" +
				"    553 5.1.8 <bulk@lists.example.com>... Domain of sender address bulk@lists.example.com does not exist\n",
			"5.1.8", "553"},
		"sendmail": {"Returned mail: see transcript for details",
			"   ----- The following addresses had permanent fatal errors -----\n<rcpt@example.net>\n" +
				"    (reason: 550 5.1.0 <bounces+x@mailer.example.org> sender rejected)\n",
			"5.1.0", "550"},
		"qmail": {"failure notice",
			"Hi. This is the qmail-send program at mx.example.com.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n\n" +
				"<rcpt@example.net>:\nConnected to 192.0.2.1 but sender was rejected.\nRemote host said: 554 Mail from bulk@lists.example.com rejected for policy reasons\n",
			"", "554"},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := Parse([]byte(fmt.Sprintf(head, c.subject) + c.body))
			require.NoError(t, err)
			require.Len(t, b.Recipients, 1, "%+v", b.Recipients)
			r := b.Recipients[0]
			assert.Equal(t, "rcpt@example.net", r.Address)
			assert.Equal(t, c.status, r.Status)
			assert.Equal(t, c.reply, r.ReplyCode)
			assert.Contains(t, r.Diagnostic, "sender")
		})
	}
}

// The address a server names in its reply, under a recipient, is that
// recipient as the server saw it (forwarded or rewritten): one recipient,
// the one the report lists.
func TestRewrittenAddressInReply(t *testing.T) {
	head := "From: MAILER-DAEMON@mx.example.com\nTo: ops@example.com\nSubject: %s\n\n"
	for name, c := range map[string]struct{ subject, body string }{
		"exim": {"Mail delivery failed: returning message to sender",
			"This message was created automatically by mail delivery software.\n\n" +
				"A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n" +
				"  sales@example.net\n    host mx.example.org [192.0.2.1]\n    SMTP error from remote mail server after RCPT TO:<anna.berg@example.org>:\n" +
				"    550 5.1.1 <anna.berg@example.org>... User unknown\n"},
		"sendmail": {"Returned mail: see transcript for details",
			"   ----- The following addresses had permanent fatal errors -----\n<sales@example.net>\n" +
				"    (reason: 550 5.1.1 <anna.berg@example.org>... User unknown)\n"},
		"qmail": {"failure notice",
			"Hi. This is the qmail-send program at mx.example.com.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n\n" +
				"<sales@example.net>:\n192.0.2.1 does not like recipient.\nRemote host said: 550 5.1.1 <anna.berg@example.org>... User unknown\nGiving up on 192.0.2.1.\n"},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := Parse([]byte(fmt.Sprintf(head, c.subject) + c.body))
			require.NoError(t, err)
			require.Len(t, b.Recipients, 1, "%+v", b.Recipients)
			r := b.Recipients[0]
			assert.Equal(t, "sales@example.net", r.Address)
			assert.Equal(t, "5.1.1", r.Status)
			assert.Equal(t, "550", r.ReplyCode)
			assert.Contains(t, r.Diagnostic, "User unknown")
		})
	}
}

func TestLineEnds(t *testing.T) {
	a := parseFile(t, "exim-crlf.eml")
	b := parseFile(t, "exim-cr.eml")
	lf, err := Parse(bytes.ReplaceAll(mustRead(t, "exim-crlf.eml"), []byte("\r\n"), []byte("\n")))
	require.NoError(t, err)
	assert.Equal(t, lf, a)
	assert.Equal(t, lf, b)
	require.Len(t, a.Recipients, 1)
	assert.Equal(t, "nick@example.com", a.Recipients[0].Address)
	assert.Equal(t, "5.2.2", a.Recipients[0].Status)
}

func mustRead(t *testing.T, name string) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

func TestMboxEnvelopeLine(t *testing.T) {
	data := append([]byte("From MAILER-DAEMON Mon Jun  1 10:00:00 2020\n"), mustRead(t, "qmail.eml")...)
	b, err := Parse(data)
	require.NoError(t, err)
	require.Len(t, b.Recipients, 1)
	assert.Equal(t, "judy@example.com", b.Recipients[0].Address)
}

func TestCodes(t *testing.T) {
	cases := []struct{ diag, field, reply, status string }{
		{"550 5.1.1 user unknown", "", "550", "5.1.1"},
		{"550 5.1.1 user unknown", "5.0.0", "550", "5.1.1"},
		{"550 5.7.1 blacklisted", "5.1.1", "550", "5.7.1"},    // the remote's words win
		{"554 Blocked", "4.0.0", "", "4.0.0"},                 // the classes disagree
		{"426 connection timed out", "", "", ""},              // not an SMTP reply code
		{"host [203.0.113.22]: 571 No PTR", "", "", ""},       // neither 571 nor an IP
		{"socket error [2606:2800:220:6d::1]:25", "", "", ""}, // IPv6
		{"554 4.4.7 Message expired <421 4.4.2 Connection timed out>", "", "421", "4.4.2"},
		{"554 <a@example.com>... 550 Host unknown", "", "550", ""},
		{"5.1.0 - Unknown address error 550-'5.7.1 <x@y.example>... Access denied'", "5.0.0", "550", "5.7.1"},
		{"Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)", "", "", "5.4.4"},
		{"mail server version 1.2.3 said 5.2.3.4", "", "", ""},
	}
	for _, c := range cases {
		reply, status := codesFrom(c.diag, c.field)
		assert.Equal(t, c.reply, reply, c.diag)
		assert.Equal(t, c.status, status, c.diag)
	}
}

func TestBrokenInput(t *testing.T) {
	bad := [][]byte{
		nil,
		[]byte("x"),
		[]byte("22\n"),
		[]byte("\x00\x01\x02\xff\xfe binary"),
		[]byte("Content-Type: multipart/report; boundary=\"nowhere\"\nSubject: x\n\nno parts at all\n"),
		[]byte("Subject: " + strings.Repeat("a", 300000) + "\n\nbody\n"),
		[]byte(strings.Repeat("Content-Type: multipart/mixed; boundary=b\n\n--b\n", 300)),
	}
	for i, data := range bad {
		b, err := Parse(data)
		if err != nil {
			assert.Contains(t, err.Error(), "parser:", "case %d", i)
			continue
		}
		assert.NotNil(t, b, "case %d", i)
	}
}

func TestCorpusBrokenAndNot(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no shared corpus")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "broken", "*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		_, _ = Parse(data) // must return, without a panic
	}
	files, _ = filepath.Glob(filepath.Join(dir, "not", "*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		b, err := Parse(data)
		if err == nil {
			assert.Empty(t, b.Recipients, f)
		}
	}
}

func ExampleParse() {
	msg := "From: MAILER-DAEMON@mx.example.net\n" +
		"To: alice@example.org\n" +
		"Subject: Undelivered Mail Returned to Sender\n" +
		"Content-Type: text/plain\n" +
		"\n" +
		"This is the mail system at host mx.example.net.\n" +
		"\n" +
		"<bob@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1\n" +
		"    <bob@example.com>: Recipient address rejected: User unknown (in reply to\n" +
		"    RCPT TO command)\n"
	b, err := Parse([]byte(msg))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range b.Recipients {
		fmt.Println(b.Kind, b.Decoder, r.Address, r.Status, r.ReplyCode, r.Command)
	}
	// Output: ndr postfix bob@example.com 5.1.1 550 RCPT
}

func TestDSNFieldsWithoutBlankLines(t *testing.T) {
	msg := "From: MAILER-DAEMON@mx.example.net\nTo: alice@example.org\nSubject: Delivery failure\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"Z\"\n\n" +
		"--Z\nContent-Type: text/plain\n\nDelivery failed.\n\n" +
		"--Z\nContent-Type: message/delivery-status\n\n" +
		"Reporting-MTA: dns; mx.example.net\nArrival-Date: Fri, 21 Nov 2014 17:24:04 -0500\n" +
		"Final-Recipient: rfc822; one@example.com\nAction: failed\nStatus: 5.2.2\n" +
		"Diagnostic-Code: smtp; 550 5.2.2 <one@example.com>... Mailbox Full\n" +
		"Final-Recipient: rfc822; two@example.com\nAction: failed\nStatus: 5.1.1\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 <two@example.com>... User Unknown\n\n--Z--\n"
	b, err := Parse([]byte(msg))
	require.NoError(t, err)
	require.Len(t, b.Recipients, 2)
	assert.Equal(t, "mx.example.net", b.ReportingMTA)
	assert.Equal(t, "one@example.com", b.Recipients[0].Address)
	assert.Equal(t, "5.2.2", b.Recipients[0].Status)
	assert.Equal(t, "two@example.com", b.Recipients[1].Address)
	assert.Equal(t, "5.1.1", b.Recipients[1].Status)
}

func TestHasRefoldShape(t *testing.T) {
	for _, s := range []string{
		"", ";", ";\n", ";\nb=c", "a;\nb=c\n", "a; \t\nb=c", "a;x\nb=c", "a;\n b=c", "a;\n\nb=c",
		"a;x;\nb=c", "a;\r\nb=c", "a;\u0085\nb=c", "a;\xc2\nb=c", "x\na: b;\nboundary=\"x\"\n", "a;\nb: c=d",
		"a;\nb=c;\nd=e", "a;\nb c=d", ";\n=c", "a;\nb*=c",
	} {
		_, want := refoldParams([]byte(s))
		if got := hasRefoldShape([]byte(s)); got != want {
			t.Errorf("hasRefoldShape(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestSimpleAddrAgreesWithParseAddress(t *testing.T) {
	alpha := []string{"a", "B", "0", ".", "_", "+", "-", "@", "<", ">", " ", "\"", "(", ")", "é", ",", ":", ";", "[", "]", "x.y", "ex.org", "Jo ", "<a@b.c>", "\t", "=?", "?=", "'", "/"}
	rng := rand.New(rand.NewSource(3))
	found := 0
	for n := 0; n < 200000; n++ {
		var b strings.Builder
		for k := rng.Intn(10); k > 0; k-- {
			b.WriteString(alpha[rng.Intn(len(alpha))])
		}
		v := b.String()
		got, ok := simpleAddr(v)
		if !ok {
			continue
		}
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != got {
			t.Fatalf("simpleAddr(%q) = %q, ParseAddress: %v, %v", v, got, a, err)
		}
		found++
	}
	if found < 1000 {
		t.Errorf("only %d plain addresses tried", found)
	}
	for _, v := range []string{"a@b", "<a@b.c>", "a.b+c@d-e.f", "<>", "", "a", "Jo Doe <a@b.c>", " <a@b>", "Jo<a@b>", "a@b <c@d>", "<a@b> <c@d>"} {
		got, ok := simpleAddr(v)
		a, err := mail.ParseAddress(v)
		if ok && (err != nil || a.Address != got) {
			t.Errorf("simpleAddr(%q) = %q, ParseAddress: %v, %v", v, got, a, err)
		}
	}
}

func TestMediaTypeOf(t *testing.T) {
	pieces := []string{"text/plain", "Multipart/Report", ";", " ", "report-type=delivery-status", "=", "\"", "x", "é", "/", "\t", "*", "charset=us-ascii"}
	rng := rand.New(rand.NewSource(7))
	for n := 0; n < 50000; n++ {
		var b strings.Builder
		for k := rng.Intn(8); k > 0; k-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		v := b.String()
		if got, want := mediaTypeOf(v), must2(mediaType(v)); got != want {
			t.Fatalf("mediaTypeOf(%q) = %q, want %q", v, got, want)
		}
	}
}

func must2(mt string, _ map[string]string) string { return mt }

// mayNameReportType is true whenever the report type read is one decide
// looks for.
func TestMayNameReportType(t *testing.T) {
	for _, v := range []string{
		"multipart/report; report-type=feedback-report; boundary=x",
		"multipart/report; report-type=\"Feedback-Report\"; boundary=x",
		"multipart/report; REPORT-TYPE=disposition-notification",
		"multipart/report; report-type*0=feedback; report-type*1=-report",
		"multipart/report; report-type*=utf-8''feedback%2Dreport",
		"multipart/report; report-type=\"feedback\\-report\"",
		"multipart/report; report-type=\"feedbac\u212a-report\"",
		"multipart/report; report-type=\"disposition-notification\"",
	} {
		_, params := mediaType(v)
		rt := strings.ToLower(params["report-type"])
		if (rt == "feedback-report" || rt == "disposition-notification") && !mayNameReportType(v) {
			t.Errorf("%q: report type %q, yet mayNameReportType is false", v, rt)
		}
	}
	for _, v := range []string{"multipart/report; report-type=delivery-status; boundary=x", "multipart/report"} {
		if mayNameReportType(v) {
			t.Errorf("mayNameReportType(%q) = true", v)
		}
	}
}
