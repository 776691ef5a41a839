package parser

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// msg joins lines into a message with LF line ends.
func msg(lines ...string) []byte {
	return []byte(strings.Join(lines, "\n") + "\n")
}

func parseOne(t *testing.T, data []byte) Recipient {
	t.Helper()
	b, err := Parse(data)
	require.NoError(t, err)
	require.Len(t, b.Recipients, 1, "recipients: %+v", b.Recipients)
	return b.Recipients[0]
}

func TestEncodedWordAddressKeptAsWritten(t *testing.T) {
	r := parseOne(t, msg(
		"From: MAILER-DAEMON@mx.example.org",
		"To: alice@example.com",
		"Subject: Returned mail: User unknown",
		"MIME-Version: 1.0",
		`Content-Type: multipart/report; report-type=delivery-status; boundary="b1"`,
		"",
		"--b1",
		"Content-Type: text/plain",
		"",
		"The original message could not be delivered.",
		"--b1",
		"Content-Type: message/delivery-status",
		"",
		"Reporting-MTA: dns; mx.example.org",
		"",
		"Final-Recipient: rfc822; =?utf-8?B?w6lsw6h2ZQ==?=@example.org",
		"Action: failed",
		"Status: 5.1.1",
		"Diagnostic-Code: smtp; 550 5.1.1 User unknown",
		"--b1--",
	))
	// an encoded word is no part of an addr-spec: the address is as written
	assert.Equal(t, "=?utf-8?b?w6lsw6h2zq==?=@example.org", r.Address)
	assert.Equal(t, "bob@example.org", addrOf("=?utf-8?Q?Bob?= <bob@example.org>"))
}

func TestEximMalformedAddress(t *testing.T) {
	r := parseOne(t, msg(
		"From: Mail Delivery System <mailer-daemon@mx.example.com>",
		"To: alice@example.com",
		"Subject: Mail failure - malformed recipient address",
		"",
		"A message that you sent contained one or more recipient addresses that were",
		"incorrectly constructed:",
		"",
		"  carol@example.com <bob@example.net>: malformed address: <bob@example.net> may not follow carol@example.com",
		"",
		"This address has been ignored.",
	))
	// the address in angle brackets, not the display name before it
	assert.Equal(t, "bob@example.net", r.Address)
}

func TestPostfixServerTranscript(t *testing.T) {
	r := parseOne(t, msg(
		"From: MAILER-DAEMON@mx.example.com (Mail Delivery System)",
		"To: postmaster@mx.example.com (Postmaster)",
		"Subject: Postfix SMTP server: errors from localhost[127.0.0.1]",
		"",
		"Transcript of session follows.",
		"",
		" Out: 220 mx.example.com ESMTP",
		" In:  MAIL FROM:<alice@example.org>",
		" Out: 250 2.1.0 Ok",
		" In:  RCPT TO:<bob@example.net>",
		" Out: 250 2.1.5 Ok",
		" In:  DATA",
		" Out: 354 End data with <CR><LF>.<CR><LF>",
		" Out: 451 4.3.0 Error: queue file write error",
		" In:  QUIT",
		" Out: 221 2.0.0 Bye",
	))
	assert.Equal(t, "bob@example.net", r.Address)
	// the answer that refused, not the ones that accepted before it
	assert.Equal(t, "451", r.ReplyCode)
	assert.Equal(t, "4.3.0", r.Status)
}

func TestSummaryAfterServerAnswer(t *testing.T) {
	r := parseOne(t, msg(
		"From: post_master@sms.example.com",
		"To: alice@example.com",
		"Subject: Re:Hello",
		"",
		"Error: Invalid user address",
		"",
		"Error message below:",
		"550 - Requested action not taken: no such user here",
		"",
		"Message details:",
		"  Subject: Hello",
		"  MAIL FROM: alice@example.com",
		"  RCPT TO: 5550100@sms.example.com",
		"  Size (in bytes): 39",
	))
	assert.Equal(t, "5550100@sms.example.com", r.Address)
	assert.Equal(t, "550", r.ReplyCode)
	assert.Contains(t, r.Diagnostic, "no such user here")
}

func TestDSNHumanTextAsDiagnostic(t *testing.T) {
	r := parseOne(t, msg(
		"From: Mail Delivery Subsystem <mailer-daemon@mail.example.com>",
		"To: alice@example.com",
		"Subject: Delivery Status Notification (Failure)",
		"MIME-Version: 1.0",
		`Content-Type: multipart/report; report-type=delivery-status; boundary="b1"`,
		"",
		"--b1",
		"Content-Type: text/plain; charset=UTF-8",
		"",
		"** Address not found **",
		"",
		"Your message wasn't delivered to bob@example.net because the address couldn't be found.",
		"--b1",
		"Content-Type: message/delivery-status",
		"",
		"Reporting-MTA: dns; mail.example.com",
		"",
		"Final-Recipient: rfc822; bob@example.net",
		"Action: failed",
		"Status: 5.0.0",
		"--b1--",
	))
	assert.Equal(t, "bob@example.net", r.Address)
	// no Diagnostic-Code: the human-readable part, without the set phrases
	assert.Equal(t, "Your message wasn't delivered to bob@example.net because the address couldn't be found.", r.Diagnostic)
}

func TestISO2022JPWithoutLabel(t *testing.T) {
	// "ユーザー" in ISO-2022-JP, in a delivery-status part that has no charset
	jis := "\x1b$B%f!<%6!<\x1b(B"
	r := parseOne(t, msg(
		"From: MAILER-DAEMON@mx.example.jp",
		"To: alice@example.com",
		"Subject: Delivery failure",
		"MIME-Version: 1.0",
		`Content-Type: multipart/report; report-type=delivery-status; boundary="b1"`,
		"",
		"--b1",
		"Content-Type: text/plain",
		"",
		"Your message was not delivered.",
		"--b1",
		"Content-Type: message/delivery-status",
		"",
		"Reporting-MTA: dns; mx.example.jp",
		"",
		"Final-Recipient: rfc822; bob@example.jp",
		"Action: failed",
		"Status: 5.0.0",
		"Diagnostic-Code: X-Notes; "+jis+" bob (bob@example.jp)",
		"--b1--",
	))
	assert.Equal(t, "ユーザー bob (bob@example.jp)", r.Diagnostic)
}

func TestEightBitUnderISO2022JPLabel(t *testing.T) {
	// "送信" in EUC-JP, in a part that claims ISO-2022-JP
	r := parseOne(t, msg(
		"From: MAILER-DAEMON@mx.example.jp",
		"To: alice@example.com",
		"Subject: Mail delivery failed",
		"MIME-Version: 1.0",
		`Content-Type: text/plain; charset="ISO-2022-JP"`,
		"Content-Transfer-Encoding: 8bit",
		"",
		"\xc1\xf7\xbf\xae failed:",
		"",
		"<bob@example.jp>: 550 user unknown",
	))
	assert.Equal(t, "bob@example.jp", r.Address)
	rd, err := charsetReader("ISO-2022-JP", strings.NewReader("\xc1\xf7\xbf\xae"))
	require.NoError(t, err)
	out, _ := io.ReadAll(rd)
	assert.Equal(t, "送信", string(out))
	assert.Equal(t, "euc-jp", eucOrSJIS([]byte("\xc1\xf7\xbf\xae")))
	assert.Equal(t, "shift_jis", eucOrSJIS([]byte("\x91\x97\x90\x4d")))
}

func TestAttachedReportIsRead(t *testing.T) {
	r := parseOne(t, msg(
		"From: gateway@relay.example.com",
		"To: alice@example.com",
		"Subject: Returned mail",
		"MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="outer"`,
		"",
		"--outer",
		"Content-Type: text/plain",
		"",
		"----- The following addresses had permanent delivery errors -----",
		"--outer",
		"Content-Type: message/rfc822",
		"",
		"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>",
		"To: alice@example.com",
		"Subject: Returned mail: User unknown",
		"MIME-Version: 1.0",
		`Content-Type: multipart/report; report-type=delivery-status; boundary="inner"`,
		"",
		"--inner",
		"Content-Type: message/delivery-status",
		"",
		"Reporting-MTA: dns; mx.example.org",
		"",
		"Final-Recipient: rfc822; bob@example.org",
		"Action: failed",
		"Status: 5.1.1",
		"Diagnostic-Code: smtp; 550 5.1.1 User unknown",
		"--inner--",
		"--outer--",
	))
	assert.Equal(t, "bob@example.org", r.Address)
	assert.Equal(t, "5.1.1", r.Status)
}

func TestMailingListNotice(t *testing.T) {
	b, err := Parse(msg(
		"From: list-admin@example.org",
		"To: alice@example.com",
		"Subject: You alice@example.com are not member (list ML)",
		"Message-ID: <200504292334.FMLAAA0.list@example.org>",
		"X-MLServer: fml [fml 4.0.3 release]",
		"",
		"You are not a member of this mailing list <list@example.org>.",
		"",
		"send mail with the body",
		"",
		"	guide",
		"",
		"to the address",
		"",
		"	list-ctl@example.org",
	))
	require.NoError(t, err)
	require.Len(t, b.Recipients, 1)
	assert.Equal(t, "fml", b.Decoder)
	assert.Equal(t, "list@example.org", b.Recipients[0].Address)
	// a post that went through the list is no notice
	b, err = Parse(msg(
		"From: bob@example.net",
		"To: list@example.org",
		"Subject: [list:00123] hello",
		"Message-ID: <20050429.123@example.net>",
		"X-MLServer: fml [fml 4.0.3 release]",
		"",
		"My request was rejected by the office; is anyone else denied?",
	))
	require.NoError(t, err)
	assert.Empty(t, b.Recipients)
}

// In Sendmail's transcript the server's answer comes before the line that
// sums it up for an address; each address gets its own answer, not the
// next one's.
func TestSendmailTranscriptAnswersBeforeSummary(t *testing.T) {
	b, err := Parse(msg(
		"From: Mail Delivery Subsystem <MAILER-DAEMON@out.example.com>",
		"To: alice@example.com",
		"Subject: Returned mail: see transcript for details",
		"",
		"   ----- Transcript of session follows -----",
		"While talking to mx.example.net:",
		">>> MAIL From:<alice@example.com>",
		"<<< 550 Insecure Mail Relay",
		"554 <bob@example.net>... Remote protocol error",
		"550 example.org (smtp)... 550 Host unknown",
		"554 <carol@example.org>... 550 Host unknown (Authoritative answer from name server)",
		"While talking to mx.example.com:",
		">>> RCPT To:<dave@example.com>",
		"<<< 550 No such user here",
		"550 <dave@example.com>... User unknown",
		"   ----- Unsent message follows -----",
		"From: alice@example.com",
		"To: bob@example.net",
		"Subject: hello",
		"",
		"hello",
	))
	require.NoError(t, err)
	got := map[string]Recipient{}
	for _, r := range b.Recipients {
		got[r.Address] = r
	}
	require.Len(t, got, 3, "%+v", b.Recipients)
	assert.Contains(t, got["bob@example.net"].Diagnostic, "Insecure Mail Relay")
	assert.NotContains(t, got["bob@example.net"].Diagnostic, "Host unknown")
	assert.Equal(t, "550", got["bob@example.net"].ReplyCode)
	assert.Contains(t, got["carol@example.org"].Diagnostic, "Host unknown")
	assert.NotContains(t, got["carol@example.org"].Diagnostic, "mx.example.com")
	assert.Contains(t, got["dave@example.com"].Diagnostic, "No such user here")
	assert.Equal(t, "RCPT", got["dave@example.com"].Command)
}

// A transcript whose lines carry a time stamp (MDaemon) still names the
// recipient after RCPT TO, and the sender is never taken for it.
func TestTimestampedTranscript(t *testing.T) {
	r := parseOne(t, msg(
		"From: MDaemon@mail.example.com",
		"To: alice@example.com",
		"Subject: Permanent Delivery Failure",
		"",
		"The attached message had PERMANENT fatal delivery errors!",
		"",
		"--- Session Transcript ---",
		" Tue 2026-11-24 10:00:00: *  From: alice@example.com",
		" Tue 2026-11-24 10:00:00: Attempting SMTP connection to [mx.example.org]",
		" Tue 2026-11-24 10:00:01: --> RCPT To:<carol@example.org>",
		" Tue 2026-11-24 10:00:01: <-- 552 5.2.2 carol@example.org mailbox is over quota",
		"--- End Transcript ---",
	))
	assert.Equal(t, "carol@example.org", r.Address)
	assert.Equal(t, "552", r.ReplyCode)
	assert.Equal(t, "5.2.2", r.Status)
}

// PowerMTA's DSNs class each failure in X-PowerMTA-BounceCategory.
func TestPowerMTACategory(t *testing.T) {
	r := parseOne(t, msg(
		"From: mailer-daemon@mta.example.com",
		"To: bounces@example.com",
		"Subject: Delivery report",
		"MIME-Version: 1.0",
		`Content-Type: multipart/report; report-type=delivery-status; boundary="pmta"`,
		"",
		"--pmta",
		"Content-Type: message/delivery-status",
		"",
		"Reporting-MTA: dns; mta.example.com",
		"",
		"Final-Recipient: rfc822; lena@example.net",
		"Action: failed",
		"Status: 5.0.0",
		"Diagnostic-Code: smtp; 550 Requested action not taken",
		"X-PowerMTA-BounceCategory: Quota-Issues",
		"--pmta--",
	))
	assert.Equal(t, "lena@example.net", r.Address)
	assert.Equal(t, "quota-issues", r.Category)
}

// A DSN that gives only a status takes the reply code from the transcript
// in its human-readable part, when the classes agree.
func TestReplyCodeFromTranscript(t *testing.T) {
	r := parseOne(t, msg(
		"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.jp>",
		"To: alice@example.com",
		"Subject: Warning: could not send message for past 4 hours",
		"MIME-Version: 1.0",
		`Content-Type: multipart/report; report-type=delivery-status; boundary="b1"`,
		"",
		"--b1",
		"Content-Type: text/plain",
		"",
		"   ----- Transcript of session follows -----",
		"451 4.0.0 Operating system error",
		"Warning: message still undelivered after 4 hours",
		"--b1",
		"Content-Type: message/delivery-status",
		"",
		"Reporting-MTA: dns; mx.example.jp",
		"",
		"Final-Recipient: RFC822; nyaan@example.jp",
		"Action: delayed",
		"Status: 4.5.0",
		"Diagnostic-Code: X-Unix; 71",
		"--b1--",
	))
	assert.Equal(t, "451", r.ReplyCode)
	assert.Equal(t, "4.5.0", r.Status)
	assert.Equal(t, "", transcriptReply("550 5.1.1 unknown\n", '4'), "a 5xx answer is not taken for a 4.x.x status")
}

// Out-of-office subjects in other languages.
func TestAutoReplySubjects(t *testing.T) {
	for _, subj := range []string{"Автоматический ответ: Привет", "Automatische Antwort: Angebot", "Respuesta automática: Hola", "自动回复: 你好",
		"Automatiskt svar: Offert", "Automatisch antwoord: Offerte", "Autoodpowiedź: Oferta", "Automatická odpověď: Nabídka",
		"Otomatik yanıt: Teklif", "Automaattinen vastaus: Tarjous", "Frånvaro: Offert", "Fravær: Tilbud", "Poissaolo: Tarjous",
		"Nieobecność: Oferta", "Nepřítomnost: Nabídka", "自动答复: 合作", "Automatski odgovor: Ponuda",
		"Автоматична відповідь: Рахунок", "Automaatvastus: Pakkumine", "תשובה אוטומטית: הצעה",
		"Max Mustermann ist außer Haus.", "Marie Dupont est absente du bureau.", "不在通知", "不在のお知らせ（12/28まで）"} {
		assert.True(t, isAutoReply(nil, subj), subj)
	}
	assert.False(t, isAutoReply(nil, "Quarterly report"))
}

// People write of absences in their own subjects: alone, such a word tells
// an automatic reply only in a reply's forms (leading the subject, all of it
// or before a ":"; Notes's "NAME is out of the office."), or beside a null
// Return-Path. The markers ("Automatic reply") count wherever they stand.
func TestAbsenceWordsInPeoplesSubjects(t *testing.T) {
	for _, subj := range []string{"Vacation policy 2025", "Absence request for Friday", "Re: Photos from our vacation",
		"Out of office replies and mailing lists", "Auto: Termin beim TÜV", "Fwd: Abwesenheit im Dezember"} {
		assert.False(t, isAutoReply(nil, subj), subj)
	}
	for _, subj := range []string{"Out of Office", "Out of Office: Budget", "Vacation", "Abwesend: Angebot",
		"John Smith is out of the office.", "Out of Office AutoReply: Budget", "Automatic reply: Budget"} {
		assert.True(t, isAutoReply(nil, subj), subj)
	}
	null := []Field{{Name: "Return-Path", Value: "<>"}}
	assert.True(t, isAutoReply(null, "Auto: Ihre Anfrage"))
	assert.True(t, isAutoReply(null, "Re: Photos from our vacation"))
}

// A part that is neither text nor a message (an image, a file) has no say
// in the report, even when its bytes would read as one.
func TestAttachmentNotRead(t *testing.T) {
	r := parseOne(t, msg(
		"From: MAILER-DAEMON@mx.example.org",
		"To: alice@example.com",
		"Subject: Undelivered Mail Returned to Sender",
		"MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="b1"`,
		"",
		"--b1",
		"Content-Type: text/plain",
		"",
		"<bob@example.net>: host mx.example.net said: 550 5.1.1 <bob@example.net>: User unknown (in reply to RCPT TO command)",
		"--b1",
		"Content-Type: application/octet-stream",
		"Content-Transfer-Encoding: base64",
		"",
		"PGNhcm9sQGV4YW1wbGUub3JnPjogNTUyIDUuMi4yIE1haWxib3ggZnVsbA==",
		"--b1--",
	))
	assert.Equal(t, "bob@example.net", r.Address)
	assert.Equal(t, "5.1.1", r.Status)
}

// A notice that names the address only in its subject.
func TestRecipientFromSubject(t *testing.T) {
	r := parseOne(t, msg(
		"From: postmaster@mail.example.org",
		"To: alice@example.com",
		"Subject: Delivery Status Notification (Failure) bob@example.org",
		"",
		"Your message could not be delivered.",
		"The mailbox is full.",
	))
	assert.Equal(t, "bob@example.org", r.Address)
}

// A person's message about bounces has a bounce subject and bounce words but
// is not one; the same words in a forwarded notice are.
func TestMessageAboutBouncesIsNotOne(t *testing.T) {
	b, err := Parse(msg(
		"From: News <news@example.com>",
		"To: alice@example.com",
		"Subject: How to handle undeliverable mail",
		"",
		"This week: what 550 5.1.1 user unknown means. Delivery has failed?",
		"Write to editor@example.com.",
	))
	require.NoError(t, err)
	assert.Equal(t, KindNotBounce, b.Kind)
	assert.Empty(t, b.Recipients)

	r := parseOne(t, msg(
		"From: Alice <alice@example.com>",
		"To: helpdesk@example.com",
		"Subject: Fwd: Returned mail: see transcript for details",
		"",
		"Why did this fail?",
		"",
		"Begin forwarded message:",
		"",
		"> From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>",
		"> Subject: Returned mail: see transcript for details",
		">",
		">    ----- The following addresses had permanent fatal errors -----",
		"> <bob@example.org>",
		">     (reason: 550 5.1.1 <bob@example.org>... User unknown)",
	))
	assert.Equal(t, "bob@example.org", r.Address)
	assert.Equal(t, "5.1.1", r.Status)
}

// A read receipt (RFC 8098) names its reader in Final-Recipient but reports
// a message that arrived.
func TestReadReceiptIsNotABounce(t *testing.T) {
	b, err := Parse(msg(
		"From: Kim <kim@example.org>",
		"To: alice@example.com",
		"Subject: Read: Quarterly report",
		"MIME-Version: 1.0",
		`Content-Type: multipart/report; report-type=disposition-notification; boundary="b1"`,
		"",
		"--b1",
		"Content-Type: text/plain",
		"",
		"Your message was read on Tuesday.",
		"--b1",
		"Content-Type: message/disposition-notification",
		"",
		"Reporting-UA: example.org; Mail Client",
		"Final-Recipient: rfc822; kim@example.org",
		"Disposition: manual-action/MDN-sent-manually; displayed",
		"--b1--",
	))
	require.NoError(t, err)
	assert.Equal(t, KindNotBounce, b.Kind)
	assert.Empty(t, b.Recipients)
}

// A Sieve "reject" (RFC 5429) is an MDN too, but one that a delivery agent
// sent on its own for a message it deleted: the recipient named is refused,
// for the reason the text gives. A reader's receipt for a message deleted
// unread is a manual action, and no bounce.
func TestSieveRejectIsABounce(t *testing.T) {
	reject := func(disposition string) *Bounce {
		b, err := Parse(msg(
			"From: Mail Delivery Subsystem <MAILER-DAEMON@imap.example.org>",
			"To: <alice@example.com>",
			"Subject: Rejected: Plans",
			"MIME-Version: 1.0",
			`Content-Type: multipart/report; report-type=disposition-notification; boundary="b1"`,
			"",
			"--b1",
			"Content-Type: text/plain",
			"",
			"Your message to <kim@example.org> was automatically rejected:",
			"Quota exceeded (mailbox for user is full)",
			"--b1",
			"Content-Type: message/disposition-notification",
			"",
			"Reporting-UA: imap.example.org; Dovecot Mail Delivery Agent",
			"Final-Recipient: rfc822; kim@example.org",
			"Original-Message-ID: <plans@example.com>",
			"Disposition: "+disposition,
			"--b1--",
		))
		require.NoError(t, err)
		return b
	}
	b := reject("automatic-action/MDN-sent-automatically; deleted")
	assert.Equal(t, KindNDR, b.Kind)
	require.Len(t, b.Recipients, 1)
	r := b.Recipients[0]
	assert.Equal(t, "kim@example.org", r.Address)
	assert.Equal(t, "failed", r.Action)
	assert.Equal(t, "imap.example.org", r.ReportingMTA)
	assert.Contains(t, r.Diagnostic, "Quota exceeded (mailbox for user is full)")
	for _, d := range []string{"manual-action/MDN-sent-manually; deleted", "automatic-action/MDN-sent-automatically; displayed", "deleted", ""} {
		b := reject(d)
		assert.Equal(t, KindNotBounce, b.Kind, d)
		assert.Empty(t, b.Recipients, d)
	}
}

// Outlook and Exchange send "Not read" for a message deleted unread with
// the disposition of a Sieve rejection, automatic-action and deleted; so
// does Thunderbird for a message its reader deleted. The agent, the subject
// or the text tell such a receipt from a rejection.
func TestDeletedUnreadReceiptIsNoBounce(t *testing.T) {
	receipt := func(subject, text, ua string) *Bounce {
		b, err := Parse(msg(
			"From: Olga Brandt <olga@example.org>",
			"To: <hr@example.com>",
			"Subject: "+subject,
			"MIME-Version: 1.0",
			`Content-Type: multipart/report; report-type=disposition-notification; boundary="b1"`,
			"",
			"--b1",
			"Content-Type: text/plain",
			"",
			text,
			"--b1",
			"Content-Type: message/disposition-notification",
			"",
			"Reporting-UA: "+ua,
			"Final-Recipient: rfc822; olga@example.org",
			"Disposition: automatic-action/MDN-sent-automatically; deleted",
			"--b1--",
		))
		require.NoError(t, err)
		return b
	}
	for _, c := range [][3]string{
		{"Not read: Travel policy", "Your message was deleted without being read on 31 May 2024.", "mail.example.org; Microsoft Exchange Server 2016"},
		{"Nicht gelesen: Reiserichtlinie", "Ihre Nachricht wurde ungelesen gelöscht.", "mail.example.org"},
		{"Travel policy", "Your message was deleted without being read.", "mail.example.org"},
		{"Return Receipt (deleted) - Travel policy", "The message was deleted.", "example.org; Mozilla Thunderbird"},
	} {
		b := receipt(c[0], c[1], c[2])
		assert.Equal(t, KindNotBounce, b.Kind, c[0])
		assert.Empty(t, b.Recipients, c[0])
	}
	// the same from a delivery agent, saying why, is a rejection
	b := receipt("Rejected: Travel policy", "Your message to <olga@example.org> was automatically rejected: no mail from outside",
		"imap.example.org; Dovecot Mail Delivery Agent")
	assert.Equal(t, KindNDR, b.Kind)
}

// An out-of-office reply comes with a null Return-Path (RFC 3834 asks for
// one) and may say that mail "will not be delivered": it stays an automatic
// reply. A notice from a mail system that says it is auto-replied stays a
// notice.
func TestAutoReplyWithBounceWordsIsAutoReply(t *testing.T) {
	reply := func(from, subject string) *Bounce {
		b, err := Parse(msg(
			"Return-Path: <>",
			"From: "+from,
			"To: news@example.com",
			"Subject: "+subject,
			"Auto-Submitted: auto-replied",
			"",
			"I have left the company. Messages to this address will not be delivered",
			"to anyone; they are undeliverable from 1 May. Please write to",
			"office@example.org instead.",
		))
		require.NoError(t, err)
		return b
	}
	b := reply("Ian Ward <ian@example.org>", "Automatic reply: Spring news")
	assert.Equal(t, KindAutoReply, b.Kind)
	b = reply("MAILER-DAEMON@mail.example.org", "Returned mail")
	assert.Equal(t, KindNDR, b.Kind)
	// a notice's subject and text from a sender of another name
	b = reply("Mail System <mail@example.org>", "Undelivered Mail Returned to Sender")
	assert.Equal(t, KindNDR, b.Kind)

	// a postmaster's acknowledgement: a mail system's sender and a null
	// Return-Path, but nothing a notice says, and an auto-reply's subject
	b, err := Parse(msg(
		"Return-Path: <>",
		"From: Postmaster <postmaster@example.org>",
		"To: reporter@example.com",
		"Subject: Automatic reply: Spam from your network",
		"Auto-Submitted: auto-replied",
		"",
		"Thank you for your message to the postmaster of example.org. We read",
		"every report and answer within two working days.",
	))
	require.NoError(t, err)
	assert.Equal(t, KindAutoReply, b.Kind)
}

// A list manager's notice that a post awaits its editors says it is
// auto-replied (Sympa's does), and is no person's automatic reply; the same
// header on a person's message is one.
func TestListManagerNoticeIsNoAutoReply(t *testing.T) {
	notice := func(from string) *Bounce {
		b, err := Parse(msg(
			"From: "+from,
			"To: comms@example.com",
			"Subject: Message for list research has been forwarded to editor(s)",
			"Auto-Submitted: auto-replied",
			"",
			"Your message for list research@lists.example.org has been forwarded to",
			"the list editor(s) for approval.",
		))
		require.NoError(t, err)
		return b
	}
	for _, from := range []string{"SYMPA <sympa@lists.example.org>", "research-request@lists.example.org",
		"owner-research@lists.example.org", "research-owner@lists.example.org"} {
		b := notice(from)
		assert.Equal(t, KindNotBounce, b.Kind, from)
		assert.Empty(t, b.Recipients, from)
	}
	assert.Equal(t, KindAutoReply, notice("Rita Costa <rita@example.org>").Kind)
}

// A mail system's warning that the reader's own mailbox is nearly full is
// no bounce, though it comes from MAILER-DAEMON and speaks of quotas and
// refused mail; a notice that names a failed recipient is one.
func TestQuotaWarningIsNoBounce(t *testing.T) {
	warn := func(extra ...string) *Bounce {
		lines := append([]string{
			"Return-Path: <>",
			"From: MAILER-DAEMON@mail.example.com",
			"To: hana@example.com",
			"Subject: Quota warning",
		}, extra...)
		lines = append(lines, "",
			"Your mailbox is now 95% full. Once it is over quota, incoming mail will",
			"be refused. Please clean up your mailbox.")
		b, err := Parse(msg(lines...))
		require.NoError(t, err)
		return b
	}
	b := warn()
	assert.Equal(t, KindNotBounce, b.Kind)
	assert.Empty(t, b.Recipients)
	b = warn("X-Failed-Recipients: jan@example.org")
	assert.Equal(t, KindNDR, b.Kind)
}

// Outlook's report on the recall of a message comes from Exchange's system
// sender with a null Return-Path and names the recipient, and is no bounce.
func TestRecallReportIsNoBounce(t *testing.T) {
	b, err := Parse(msg(
		"Return-Path: <>",
		"From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@example.org>",
		"To: eve@example.org",
		"Subject: Message Recall Failure: Budget",
		"",
		"Your message",
		"",
		"To: bob@example.org",
		"Subject: Budget",
		"Sent: 4 Nov 2024 10:00",
		"",
		"could not be recalled: the recipient has already read it.",
	))
	require.NoError(t, err)
	assert.Equal(t, KindNotBounce, b.Kind)
	assert.Empty(t, b.Recipients)
}

// Postfix names the alias or list a recipient was expanded from: it is the
// original recipient, and not part of the diagnostic.
func TestExpandedFromIsTheOriginalRecipient(t *testing.T) {
	b, err := Parse(msg(
		"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)",
		"To: sender@example.net",
		"Subject: Undelivered Mail Returned to Sender",
		"",
		"This is the mail system at host mx.example.net.",
		"",
		`<uma@example.net> (expanded from <sales@example.net>): unknown user: "uma"`,
		"",
		"<vic@example.net>: cannot update mailbox /var/mail/vic for user vic. error",
		"    writing message: File too large",
	))
	require.NoError(t, err)
	require.Len(t, b.Recipients, 2)
	assert.Equal(t, "uma@example.net", b.Recipients[0].Address)
	assert.Equal(t, "sales@example.net", b.Recipients[0].OriginalAddress)
	assert.Equal(t, `unknown user: "uma"`, b.Recipients[0].Diagnostic)
	assert.Equal(t, "vic@example.net", b.Recipients[1].Address)
	assert.Empty(t, b.Recipients[1].OriginalAddress)
	assert.Equal(t, "mx.example.net", b.Recipients[1].ReportingMTA, "the host the report says wrote it")
}

// A list manager that refuses a post names the reasons; the failed recipient
// is the list. A post held for the moderator has not failed.
func TestListRejection(t *testing.T) {
	r := parseOne(t, msg(
		"From: foo-owner@lists.example.org",
		"To: alice@example.com",
		"Subject: Your message to Foo was rejected",
		"Auto-Submitted: auto-replied",
		"",
		"Your message to the foo mailing-list was rejected for the following",
		"reasons:",
		"",
		"The message is not from a list member",
		"",
		"The original message as received by Mailman is attached.",
	))
	assert.Equal(t, "foo@lists.example.org", r.Address)
	assert.Equal(t, "The message is not from a list member", r.Diagnostic)

	b, err := Parse(msg(
		"From: foo-owner@lists.example.org",
		"To: alice@example.com",
		"Subject: Your message to Foo awaits moderator approval",
		"",
		"Your mail to 'Foo' with the subject",
		"",
		"    Quarterly report",
		"",
		"Is being held until the list moderator can review it for approval.",
	))
	require.NoError(t, err)
	assert.Equal(t, KindNotBounce, b.Kind)
}

// The remote server a diagnostic names, never the sending client it blames.
func TestRemoteHostOf(t *testing.T) {
	for in, want := range map[string]string{
		"host mx.example.org[192.0.2.4] said: 550 5.1.1 unknown":                                         "mx.example.org",
		"554 5.7.1 Service unavailable; Client host [192.0.2.49] blocked using zen.spamhaus.org":         "",
		"550 5.7.1 client host 192.0.2.49 rejected; see host mx.example.net":                             "mx.example.net",
		"Remote server (203.0.113.10) issued an error.":                                                  "203.0.113.10",
		"Remote Server at mx.example.org (192.0.2.5) returned '550 5.1.1 not found'":                     "mx.example.org",
		"Generating server: corp.example.net Receiving server: mx.example.org (192.0.2.5) 550 not found": "mx.example.org",
		"Generating server: ex.example.net mx.example.com #550 5.7.1 Message rejected as spam ##":        "mx.example.com",
		"ann@example.org #550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##":                            "",
		"#554 5.2.2 mailbox full; STOREDRV.Deliver.Exception ##":                                         "",
	} {
		assert.Equal(t, want, remoteHostOf(in), in)
	}
}

// A DSN without a Remote-MTA field names the server in its diagnostic.
func TestRemoteMTAFromDiagnostic(t *testing.T) {
	r := parseOne(t, msg(
		"From: MAILER-DAEMON@mx.example.net",
		"To: alice@example.com",
		"Subject: Undelivered Mail Returned to Sender",
		"MIME-Version: 1.0",
		`Content-Type: multipart/report; report-type=delivery-status; boundary="b"`,
		"",
		"--b",
		"Content-Type: message/delivery-status",
		"",
		"Reporting-MTA: dns; mx.example.net",
		"",
		"Final-Recipient: rfc822; bob@example.org",
		"Action: failed",
		"Status: 5.7.1",
		"Diagnostic-Code: X-Postfix; host MX.example.org[192.0.2.4] said: 554 5.7.1 Client",
		"    host [192.0.2.9] blocked using zen.spamhaus.org",
		"--b--",
	))
	assert.Equal(t, "mx.example.org", r.RemoteMTA)
}

// A warning that delivery is delayed, in other languages than English.
func TestDelayWarningLanguages(t *testing.T) {
	for subject, line := range map[string]string{
		"Zustellung verzögert":                        "Ihre Nachricht an <uwe@example.de> konnte noch nicht zugestellt werden.",
		"Notificación de estado de entrega (retraso)": "Su mensaje para <ines@example.es> ha sido retrasado.",
		"Avis de non-remise":                          "Votre message pour <paul@example.fr> a été retardé.",
		"配信状況のお知らせ":                                   "<taro@example.jp> への配信が遅延しています。",
		"Undelivered Mail":                            "<ann@example.org>: host mx.example.org said: 550 5.1.1 unknown (delivery failed, not delayed by us)",
	} {
		r := parseOne(t, msg("From: MAILER-DAEMON@mx.example.net", "To: a@example.com", "Subject: "+subject, "", line))
		want := "delayed"
		if subject == "Undelivered Mail" {
			want = "failed" // "delayed" alone in a failure is not a warning
		}
		assert.Equal(t, want, r.Action, subject)
	}
}

// OpenSMTPD writes "Status: 5.0.0" for every failure: a placeholder, so the
// text's code decides, and without one the status is left to the classifier.
func TestOpenSMTPDPlaceholderStatus(t *testing.T) {
	report := func(text string) []byte {
		return msg(
			"From: Mailer Daemon <MAILER-DAEMON@mx.example.net>",
			"To: alice@example.net",
			"Subject: Delivery status notification: failed",
			"MIME-Version: 1.0",
			`Content-Type: multipart/mixed; boundary="b"`,
			"",
			"--b",
			"Content-Type: text/plain",
			"",
			"    This is the MAILER-DAEMON, please DO NOT REPLY to this email.",
			"",
			"    An error has occurred while attempting to deliver a message for",
			"    the following list of recipients:",
			"",
			text,
			"",
			"--b",
			"Content-Type: message/delivery-status",
			"",
			"Reporting-MTA: dns; mx.example.net",
			"",
			"Final-Recipient: rfc822; bob@example.org",
			"Action: failed",
			"Status: 5.0.0",
			"--b--",
		)
	}
	r := parseOne(t, report("bob@example.org: Domain does not exist"))
	assert.Equal(t, "", r.Status, "no code but the placeholder")
	r = parseOne(t, report("bob@example.org: 550 5.7.25 The IP address sending this message does not have a PTR record"))
	assert.Equal(t, "5.7.25", r.Status)
	assert.Equal(t, "550", r.ReplyCode)
}

// A free-text report may list thousands of failed recipients (a list's
// mass mailing): every one is read, not only those of its first kilobytes.
func TestManyRecipientsInFreeText(t *testing.T) {
	lines := []string{"From: MAILER-DAEMON@mx.example.net", "To: a@example.com",
		"Subject: Undelivered Mail Returned to Sender", "", "This is the mail system at host mx.example.net.", ""}
	const n = 3000
	for i := 0; i < n; i++ {
		lines = append(lines, fmt.Sprintf("<user%d@example.org>: host mx.example.org[192.0.2.4] said: 550 5.1.1 <user%d@example.org>: User unknown (in reply to RCPT TO command)", i, i), "")
	}
	b, err := Parse(msg(lines...))
	require.NoError(t, err)
	require.Len(t, b.Recipients, n)
	assert.Equal(t, "user2999@example.org", b.Recipients[n-1].Address)
	assert.Equal(t, "5.1.1", b.Recipients[n-1].Status)
}

// An Office 365 report whose delivery-status part has header values folded
// onto the next line without the leading white space: the part, and the
// returned message after it, are still read.
func TestLostFoldInPartHeader(t *testing.T) {
	data := msg(
		"From: postmaster@outlook.com",
		"To: alice@example.com",
		"Subject: Undeliverable: hello",
		"MIME-Version: 1.0",
		`Content-Type: multipart/report; report-type=delivery-status; boundary="b1"`,
		"",
		"--b1",
		"Content-Type: text/plain",
		"",
		"Delivery has failed to these recipients or groups.",
		"",
		"--b1",
		"Content-Type: message/delivery-status",
		"X-Microsoft-Exchange-Diagnostics:",
		"1;SLXP216MB0381;27:EqSq7730xZ",
		"X-Message-Info:",
		"5vMbyqxGkdfb86Tqlvb+ooiaK4miofpE0==",
		"2vMbyqxGkdfb86Tqlvb+ooiaK4miofpE0==",
		"",
		"Reporting-MTA: dns;mx.outlook.example",
		"",
		"Final-Recipient: rfc822;bob@example.net",
		"Action: failed",
		"Status: 5.4.316",
		"Diagnostic-Code: smtp;550 5.4.316 Message expired, connection refused",
		"",
		"--b1",
		"Content-Type: message/rfc822",
		"",
		"From: alice@example.com",
		"To: bob@example.net",
		"Subject: hello",
		"Message-ID: <hello-1@example.com>",
		"",
		"hi",
		"--b1--",
	)
	b, err := Parse(data)
	require.NoError(t, err)
	require.Len(t, b.Recipients, 1)
	r := b.Recipients[0]
	assert.Equal(t, "bob@example.net", r.Address)
	assert.Equal(t, "5.4.316", r.Status)
	assert.Equal(t, "550", r.ReplyCode)
	assert.Equal(t, "mx.outlook.example", r.ReportingMTA)
	assert.Equal(t, "hello-1@example.com", b.Original.MessageID, "the part after the mended one is read")
}

func TestRefoldLostValues(t *testing.T) {
	in := "pre\n--b\nA:\nvalue\nmore\nB: x\nno colon here\n\nbody line\nwithout colon\n--b--\n"
	got, changed := refoldLostValues([]byte(in), "b")
	assert.True(t, changed)
	// only the lines right after the empty field are mended
	assert.Equal(t, "pre\n--b\nA:\n value\n more\nB: x\nno colon here\n\nbody line\nwithout colon\n--b--\n", string(got))
	same, changed := refoldLostValues([]byte("--b\nA: 1\n\nbody\n--b--\n"), "b")
	assert.False(t, changed)
	assert.Equal(t, "--b\nA: 1\n\nbody\n--b--\n", string(same))
}

// A Japanese notice in ISO-2022-JP whose quoted-printable text carries the
// charset's escape bytes as they are (a strict decoder stops at the first):
// the text after them is read too.
func TestQuotedPrintableWithRawJISEscapes(t *testing.T) {
	jis := "\x1b$B08@h$N%a!<%k%\"%I%l%9$OB8:_$7$^$;$s!#\x1b(B" // 宛先のメールアドレスは存在しません。
	r := parseOne(t, msg(
		"From: MAILER-DAEMON@mx.example.jp",
		"To: alice@example.com",
		"Subject: Undelivered Mail Returned to Sender",
		"MIME-Version: 1.0",
		`Content-Type: text/plain; charset="iso-2022-jp"`,
		"Content-Transfer-Encoding: quoted-printable",
		"",
		jis,
		"",
		"<bob@example.jp>: host mx.example.jp[192.0.2.1] said: 550 5.1.1 <bob@example.jp>:=",
		" Recipient address rejected: User unknown (in reply to RCPT TO command)",
	))
	assert.Equal(t, "bob@example.jp", r.Address)
	assert.Equal(t, "5.1.1", r.Status)
	assert.Contains(t, r.Diagnostic, "User unknown")
}

// A free-text notice that quotes the original's header rewrapped, its
// folded lines no longer indented: the header is still read.
func TestQuotedHeaderRewrapped(t *testing.T) {
	b, err := Parse(msg(
		"From: MAILER-DAEMON@mx.example.org",
		"To: alice@example.com",
		"Subject: Mail delivery failed: returning message to sender",
		"",
		"A message that you sent could not be delivered to one or more of its recipients.",
		"",
		"<bob@example.net>: 550 5.1.1 user unknown",
		"",
		"--- The header of the original message is following. ---",
		"",
		"Received: from [192.0.2.135] by mail.example.com (via",
		"HTTP); Sat, 29 Nov 2014 00:32:10 +0100",
		"Message-ID: <hello-2@example.com>",
		"X-Provags-ID: V03:K0:ONKNgotCRNVI",
		"bFCoPnjQHA37xZ8d8ZlzmXAvxolVwCdcq8oWM8nXToLie",
		"To: bob@example.net",
		"Subject: Hello",
		"From: Alice <alice@example.com>",
		"",
	))
	require.NoError(t, err)
	assert.Equal(t, "hello-2@example.com", b.Original.MessageID)
	assert.Equal(t, "Hello", b.Original.Subject)
	assert.Equal(t, "Alice <alice@example.com>", b.Original.From)
}

func TestQuotedHeader(t *testing.T) {
	assert.Equal(t, []Field{{"A", "1 two"}, {"B", "x y"}}, quotedHeader("A: 1\ntwo\nB: x\n  y\n\nbody: text\n"))
	assert.Nil(t, quotedHeader("Some text: not a header\n"), "a name with a space")
	assert.Nil(t, quotedHeader("\nA: 1\n"), "a blank line first")
}

// Senders that name a mail system in other spellings than MAILER-DAEMON.
func TestSystemSenderSpellings(t *testing.T) {
	for _, from := range []string{"Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@example.org>",
		"Mailer_Daemon@example.org", "MailerDaemon <mailerdaemon@example.org>", "Mail-Delivery <mail-delivery@example.org>"} {
		b, err := Parse(msg(
			"From: "+from,
			"To: alice@example.com",
			"Subject: Undeliverable: hello",
			"",
			"Delivery has failed to these recipients or groups:",
			"",
			"bob@example.net",
			"The email address you entered couldn't be found. 550 5.1.1 user unknown",
		))
		require.NoError(t, err)
		require.Len(t, b.Recipients, 1, from)
		assert.Equal(t, "bob@example.net", b.Recipients[0].Address, from)
	}
}

// Notices that quote the original's header after a line of their own: qmail
// builds that return the header only, T-Online's "Message text follows"
// rule, Exchange's localized "Original message headers". The header is read
// as the original's, and kept out of the diagnostic.
func TestMoreOriginalMarkers(t *testing.T) {
	for name, c := range map[string]struct{ intro, marker string }{
		"qmail headers only": {
			"<carla@example.com>:\nSorry, no mailbox here by that name. (#5.1.1)",
			"--- Enclosed are the original headers of the message.",
		},
		"t-online": {
			"|------------------------- Failed addresses follow: ---------------------|\n <carla@example.com> ... Remote host said: 550 5.1.1 User unknown",
			"|------------------------- Message text follows: ------------------------|",
		},
		"exchange pt": {
			"carla@example.com\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##",
			"Cabeçalhos da mensagem original:",
		},
	} {
		b, err := Parse(msg(
			"From: MAILER-DAEMON@mx.example.org",
			"To: sender@example.net",
			"Subject: failure notice",
			"Content-Type: text/plain; charset=utf-8",
			"",
			"Hi. This is the mail system at mx.example.org.",
			"I'm afraid I wasn't able to deliver your message to the following addresses.",
			"",
			c.intro,
			"",
			c.marker,
			"",
			"From: sender@example.net",
			"To: carla@example.com",
			"Subject: Hello again",
			"Message-ID: <hello-5@example.net>",
		))
		require.NoError(t, err, name)
		require.Len(t, b.Recipients, 1, name)
		assert.Equal(t, "carla@example.com", b.Recipients[0].Address, name)
		assert.Equal(t, "hello-5@example.net", b.Original.MessageID, name)
		assert.NotContains(t, b.Recipients[0].Diagnostic, "Hello again", name)
	}
}

// A notice that gives its reason first, then lists the addresses, then ends
// with set words of its own (InterMail's "Mail System Error"): the closing
// words are no recipient's detail, and the one recipient's diagnostic is the
// whole notice.
func TestIndentedListThenClosingParagraph(t *testing.T) {
	b, err := Parse(msg(
		"From: Mail Administrator <Postmaster@mail.example.net>",
		"To: sender@example.net",
		"Subject: Mail System Error - Returned Mail",
		"",
		"This Message was undeliverable due to the following reason:",
		"",
		"Your message was not delivered within 5 days:",
		"Host 192.0.2.25 is not responding.",
		"",
		"The following recipients did not receive this message:",
		"",
		"     <hana@example.com>",
		"",
		"Please reply to <Postmaster@mail.example.net>",
		"if you feel this message to be in error.",
	))
	require.NoError(t, err)
	require.Len(t, b.Recipients, 1)
	r := b.Recipients[0]
	assert.Equal(t, "hana@example.com", r.Address)
	assert.Contains(t, r.Diagnostic, "Host 192.0.2.25 is not responding")
}

// A message that only wraps a notice (a list manager's "Uncaught bounce
// notification", a forward) is read for the attached notice. A notice that
// returns a notice names the address it failed for, and is read itself.
func TestAttachedNotice(t *testing.T) {
	inner := []string{
		"Return-Path: <>",
		"From: MAILER-DAEMON@mail.example.com",
		"To: list-bounces@lists.example.org",
		"Subject: failure notice",
		"",
		"Hi. This is the qmail-send program at mail.example.com.",
		"I'm afraid I wasn't able to deliver your message to the following addresses.",
		"This is a permanent error; I've given up. Sorry it didn't work out.",
		"",
		"<carla@example.com>:",
		"Sorry, no mailbox here by that name. (#5.1.1)",
	}
	wrap := func(from, subject string, text ...string) *Bounce {
		lines := []string{
			"From: " + from,
			"To: list-owner@lists.example.org",
			"Subject: " + subject,
			"MIME-Version: 1.0",
			`Content-Type: multipart/mixed; boundary="b1"`,
			"",
			"--b1",
			"Content-Type: text/plain",
			"",
		}
		lines = append(lines, text...)
		lines = append(lines, "--b1", "Content-Type: message/rfc822", "")
		lines = append(lines, inner...)
		lines = append(lines, "--b1--")
		b, err := Parse(msg(lines...))
		require.NoError(t, err)
		return b
	}
	b := wrap("list-bounces@lists.example.org", "Uncaught bounce notification",
		"The attached message was received as a bounce, but either the bounce",
		"format was not recognized, or no member addresses could be extracted from it.")
	require.Len(t, b.Recipients, 1)
	assert.Equal(t, "carla@example.com", b.Recipients[0].Address)
	assert.Equal(t, "5.1.1", b.Recipients[0].Status)

	b = wrap("MAILER-DAEMON@lists.example.org", "failure notice",
		"I tried to deliver a bounce message to this address, but the bounce bounced!",
		"",
		"<list-bounces@lists.example.org>:",
		"Sorry, no mailbox here by that name. (#5.1.1)")
	require.Len(t, b.Recipients, 1)
	assert.Equal(t, "list-bounces@lists.example.org", b.Recipients[0].Address)
}

func TestHTMLCharacterReferences(t *testing.T) {
	assert.Equal(t, "retardée <a@b> l'été « x » & &bogus; &#; É ß", stripHTML(
		"retard&#233;e &lt;a&#64;b&gt; l&#x27;&eacute;t&#xE9; &laquo;&nbsp;x&#160;&raquo; &amp; &bogus; &#; &Eacute; &szlig;"))
	// a notice in US-ASCII HTML spells its French letters so; its delay
	// words must still be read
	r := parseOne(t, msg(
		"Return-Path: <>",
		"From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@example.fr>",
		"To: alice@example.fr",
		"Subject: =?iso-8859-1?Q?Remise_diff=E9r=E9e=A0:_Convocation?=",
		"X-MS-Exchange-Message-Is-Ndr:",
		"Auto-Submitted: auto-replied",
		"MIME-Version: 1.0",
		`Content-Type: text/html; charset="us-ascii"`,
		"",
		"<html><body><p><b>La remise est retard&#233;e pour ces destinataires ou groupes&nbsp;:</b></p>",
		`<p><a href="mailto:bob@example.org">bob@example.org</a></p>`,
		"<p>Ce message n&#39;a pas encore &#233;t&#233; remis. Le serveur continuera &#224; essayer de le remettre.</p>",
		"<p>Le serveur distant a retourn&#233; &#171;&nbsp;451 4.4.0 DNS query failed&nbsp;&#187;</p>",
		"</body></html>",
	))
	assert.Equal(t, "bob@example.org", r.Address)
	assert.Equal(t, "delayed", r.Action)
	assert.Equal(t, "4.4.0", r.Status)
	assert.Contains(t, r.Diagnostic, "pas encore été remis")
}
