package parser

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A mail system's plain-text report that a message was delivered (or relayed
// to a system that sends no report of its own) is no failure: each recipient
// it names is recorded as delivered, and a report that names none gives no
// record at all.
func TestDeliveredNotice(t *testing.T) {
	for name, c := range map[string]struct {
		msg    string
		addrs  []string
		action string
	}{
		"exchange delivered": {"From: postmaster@corp.example.com\nTo: alice@corp.example.com\nReturn-Path: <>\n" +
			"Subject: Delivered: Quarterly report\n\n" +
			"Your message has been delivered to the following recipients:\n\nbob@example.com (bob@example.com)\n\nSubject: Quarterly report\n",
			[]string{"bob@example.com"}, "delivered"},
		"exchange relayed": {"From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.example.com>\n" +
			"To: alice@corp.example.com\nSubject: Relayed: Budget\n\n" +
			"Delivery to these recipients or groups is complete, but no delivery notification was sent by the destination server:\n\n" +
			"carol@example.net (carol@example.net) <mailto:carol@example.net>\n\nSubject: Budget\n",
			[]string{"carol@example.net"}, "relayed"},
		"exchange complete": {"From: postmaster@corp.example.com\nTo: alice@corp.example.com\nSubject: Delivered: Budget\n\n" +
			"Delivery to these recipients or groups is complete:\n\ndave@example.net (dave@example.net)\nerin@example.org\n\nSubject: Budget\n",
			[]string{"dave@example.net", "erin@example.org"}, "delivered"},
		"mailer-daemon": {"From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\nTo: alice@example.com\nReturn-Path: <>\n" +
			"Subject: Successful Mail Delivery Report\n\n" +
			"This is the mail system at host mx.example.com.\n\n" +
			"Your message was successfully delivered to the destination(s)\nlisted below.\n\n" +
			"<frank@example.org>: delivery via mx.example.org[192.0.2.9]:25: 250 2.0.0 Ok: queued as 4B1C2\n",
			[]string{"frank@example.org"}, "delivered"},
		"exchange 2003 names only": {"From: System Administrator <postmaster@corp.example.com>\nTo: alice@corp.example.com\n" +
			"Return-Path: <>\nSubject: Delivered: Minutes\n\n" +
			"Your message\n\n  To:      Grace Hopper\n  Subject: Minutes\n  Sent:    Mon, 1 Jun 2020 10:00:00 +0000\n\n" +
			"was delivered to the following recipient(s):\n\n      Grace Hopper on Mon, 1 Jun 2020 10:00:05 +0000\n",
			nil, ""},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := Parse([]byte(c.msg))
			require.NoError(t, err)
			var got []string
			for _, r := range b.Recipients {
				got = append(got, r.Address)
				assert.Equal(t, c.action, r.Action, r.Address)
				if r.Status != "" {
					assert.Equal(t, byte('2'), r.Status[0], r.Address)
				}
			}
			assert.Equal(t, c.addrs, got)
			if c.addrs == nil {
				assert.Equal(t, KindNotBounce, b.Kind)
			} else {
				assert.Equal(t, KindDSN, b.Kind)
			}
		})
	}
}

// A notice that reports a failure keeps it, whatever it says of the
// recipients it did reach.
func TestDeliveredNoticeWithFailure(t *testing.T) {
	msg := "From: MAILER-DAEMON@mx.example.com\nTo: alice@example.com\nReturn-Path: <>\n" +
		"Subject: Undelivered Mail Returned to Sender\n\n" +
		"Your message was delivered to the following recipients:\n\nbob@example.com\n\n" +
		"Delivery to the following recipients failed permanently:\n\nhank@example.net\n    550 5.1.1 User unknown\n"
	b, err := Parse([]byte(msg))
	require.NoError(t, err)
	var failed []string
	for _, r := range b.Recipients {
		if r.Action == "failed" {
			failed = append(failed, r.Address)
		}
	}
	assert.Contains(t, failed, "hank@example.net")

	// a subject that says the delivery was unsuccessful, and a server's
	// refusal, are a failure's
	for _, msg := range []string{
		"From: MAILER-DAEMON@mx.example.com\nTo: alice@example.com\nReturn-Path: <>\nSubject: Unsuccessful delivery\n\n" +
			"Your message to ivan@example.net:\n    552 mailbox unavailable\n",
		"From: postmaster@mx.example.com\nTo: alice@example.com\nReturn-Path: <>\nSubject: Delivered: Budget\n\n" +
			"Your message was successfully delivered to the destination listed below, except:\n\nivan@example.net: 552 5.2.2 over quota\n",
	} {
		b, err = Parse([]byte(msg))
		require.NoError(t, err)
		require.Len(t, b.Recipients, 1)
		assert.Equal(t, "ivan@example.net", b.Recipients[0].Address)
		assert.Equal(t, "failed", b.Recipients[0].Action)
	}
}

// Exchange writes a recipient it could only wrap as an IMCEA address of type
// SMTP: the SMTP address with its bytes beyond a few written "+XX" (hex),
// then "@" and Exchange's own domain. Such a recipient is the address it
// encodes. An IMCEAEX address encodes an X.500 name, no address: it stays as
// written.
func TestIMCEASMTPAddress(t *testing.T) {
	dsn := "From: postmaster@corp.example.com\nTo: alice@corp.example.com\nSubject: Undeliverable: Budget\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n" +
		"--b\nContent-Type: text/plain\n\nDelivery has failed to these recipients or groups:\n\n" +
		"IMCEASMTP-john+2Bsales+40example+2Ecom@corp.example.com\n\n" +
		"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mail.corp.example.com\n\n" +
		"Final-Recipient: rfc822; IMCEASMTP-john+2Bsales+40example+2Ecom@corp.example.com\nAction: failed\n" +
		"Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 RESOLVER.ADR.RecipNotFound; not found\n\n" +
		"Final-Recipient: rfc822; IMCEAEX-_O=CORP_OU=EXCHANGE+20ADMINISTRATIVE+20GROUP_CN=RECIPIENTS_CN=bob@corp.example.com\n" +
		"Action: failed\nStatus: 5.1.1\n\n--b--\n"
	b, err := Parse([]byte(dsn))
	require.NoError(t, err)
	require.Len(t, b.Recipients, 2)
	assert.Equal(t, "john+sales@example.com", b.Recipients[0].Address)
	assert.Equal(t, "imceaex-_o=corp_ou=exchange+20administrative+20group_cn=recipients_cn=bob@corp.example.com",
		b.Recipients[1].Address)

	notice := "From: MAILER-DAEMON@mx.corp.example.com\nTo: alice@corp.example.com\nReturn-Path: <>\n" +
		"Subject: Undeliverable: Budget\n\nYour message could not be delivered to the following recipients:\n\n" +
		"<IMCEASMTP-Mary+2EJones+40Example+2Eorg@corp.example.com>: 550 5.1.1 User unknown\n"
	b, err = Parse([]byte(notice))
	require.NoError(t, err)
	require.Len(t, b.Recipients, 1)
	assert.Equal(t, "mary.jones@example.org", b.Recipients[0].Address)
	assert.Equal(t, "550", b.Recipients[0].ReplyCode)
}

// A challenge-response system's request that the sender confirm (SpamArrest,
// Boxbe, TMDA and the like) is no failure: the message waits for that
// confirmation. Such requests come with a null Return-Path, often without an
// Auto-Submitted field, and say that the message "will not be delivered
// until" the sender confirms. A real notice that speaks of whitelists or of
// verification, and gives a server's answer, stays one.
func TestChallengeResponse(t *testing.T) {
	for name, msg := range map[string]string{
		"confirm human": "From: \"Anna Berg\" <anna@example.org>\nTo: news@example.com\nReturn-Path: <>\n" +
			"Subject: Re: April offers\n\n" +
			"Hello,\n\nanna@example.org protects her mailbox from junk mail. Your message will not be delivered\n" +
			"until you confirm that you are a human and not an automated sender. Please click the link below:\n\n" +
			"  https://confirm.example.net/c/8f3a9c21d0b4\n\nYou have to do this only once.\n",
		"approved senders": "From: bob@example.org\nTo: news@example.com\nReturn-Path: <>\n" +
			"Subject: Re: Your invoice [verification required]\n\n" +
			"I apologize for this automatic reply to your email.\n\nTo control spam, I now allow incoming messages only from\n" +
			"senders I have approved beforehand. Your message could not be delivered to my inbox yet.\n\n" +
			"If you would like to be added to my list of approved senders, please fill out the short request\n" +
			"form (see link below). Once I approve you, I will receive your original message in my inbox.\n\n" +
			"https://www.example.net/verify?id=4471882\n",
		"reply to confirm": "From: Carol Diaz <carol@example.org>\nTo: news@example.com\nReturn-Path: <>\n" +
			"Subject: Re: Meeting notes (confirmation required)\n\n" +
			"This is an automated challenge. Your message to carol@example.org was not delivered: it is held\n" +
			"pending your confirmation. To confirm that you are a person, simply reply to this message.\n" +
			"Once confirmed, your message will be released and delivered, and you will be added to the whitelist.\n",
	} {
		t.Run(name, func(t *testing.T) {
			b, err := Parse([]byte(msg))
			require.NoError(t, err)
			assert.Equal(t, KindNotBounce, b.Kind)
			assert.Empty(t, b.Recipients)
		})
	}
	for name, msg := range map[string]string{
		"whitelist block": "From: Mail Gateway <gateway@mx.example.net>\nTo: news@example.com\nReturn-Path: <>\n" +
			"Subject: Undeliverable: April offers\n\nYour message could not be delivered to dave@example.net.\n\n" +
			"554 5.7.1 Your server is not on our whitelist. Once you confirm your identity at\n" +
			"https://portal.example.net/verify you may be added to the list of approved senders.\n",
		"sender verify": "From: MAILER-DAEMON@mx.example.net\nTo: news@example.com\nReturn-Path: <>\n" +
			"Subject: Mail delivery failed: returning message to sender\n\n" +
			"This message was created automatically by mail delivery software.\n\n" +
			"A message that you sent could not be delivered to one or more of its recipients.\n\n" +
			"  erin@example.net\n    SMTP error from remote mail server after RCPT TO:<erin@example.net>:\n" +
			"    550 5.7.1 Sender verify failed: please confirm your address at https://example.net/verify\n",
	} {
		t.Run(name, func(t *testing.T) {
			b, err := Parse([]byte(msg))
			require.NoError(t, err)
			require.NotEmpty(t, b.Recipients)
			assert.Equal(t, "failed", b.Recipients[0].Action)
		})
	}
}

// A person's reply to an automatic reply, or a forward of one, has the
// automatic reply's subject behind a reply or forward prefix ("RE:
// Automatic reply: ...", "AW: Abwesenheitsnotiz: ..."): it is a person's
// message, unless its header says it is automatic.
func TestReplyToAutoReply(t *testing.T) {
	for _, subj := range []string{"RE: Automatic reply: Budget", "AW: Abwesenheitsnotiz: Angebot", "Re: Out of Office: Budget",
		"Fwd: Automatic reply: Budget", "SV: Automatiskt svar: Offert", "Antw: Automatisch antwoord: Offerte",
		"R: Risposta automatica: Offerta", "RV: Respuesta automática: Hola", "WG: Automatische Antwort: Angebot",
		"TR: Réponse automatique : Offre", "Re: Re: Automatic reply: Budget", "RE[2]: Automatic reply: Budget",
		"VS: Automaattinen vastaus: Tarjous", "Re : Réponse automatique : Offre", "回复: 自动回复: 你好"} {
		assert.False(t, isAutoReply(nil, subj), subj)
		msg := "From: Jane Roe <jane@example.org>\nTo: news@example.com\nSubject: " + subj + "\n\n" +
			"Thanks, I will wait for Bob to be back. Your message will not be delivered to him until Monday.\n"
		b, err := Parse([]byte(msg))
		require.NoError(t, err)
		assert.Equal(t, KindNotBounce, b.Kind, subj)
	}
	// the header says the message is automatic
	for _, top := range [][]Field{
		{{Name: "Auto-Submitted", Value: "auto-generated"}},
		{{Name: "X-Autoreply", Value: "yes"}},
		{{Name: "X-Autorespond", Value: "Out of office"}},
		{{Name: "Precedence", Value: "auto_reply"}},
		{{Name: "X-Auto-Response-Suppress", Value: "DR, OOF, AutoReply"}},
		{{Name: "X-Auto-Response-Suppress", Value: "All"}},
	} {
		assert.True(t, isAutoReply(top, "RE: Automatic reply: Budget"), "%v", top)
	}
	assert.False(t, isAutoReply([]Field{{Name: "Auto-Submitted", Value: "no"}}, "RE: Automatic reply: Budget"))
	// the marker first: an automatic reply to a reply
	assert.True(t, isAutoReply(nil, "Automatic reply: RE: Budget"))
	assert.True(t, isAutoReply(nil, "Abwesenheitsnotiz: AW: Angebot"))
}

// An address whose local part is a quoted string (RFC 5322, section 3.4.1)
// is found in a notice's text, and reported as written, quotes and all,
// lower-cased. Quotes around a whole address are still no part of it.
func TestQuotedLocalPart(t *testing.T) {
	for name, c := range map[string]struct{ msg, addr, reply string }{
		"postfix": {"From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\nTo: news@example.com\nReturn-Path: <>\n" +
			"Subject: Undelivered Mail Returned to Sender\n\nThis is the mail system at host mx.example.com.\n\n" +
			"I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n" +
			"<\"John Doe\"@Example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1 User\n    unknown (in reply to RCPT TO command)\n",
			`"john doe"@example.org`, "550"},
		"exim": {"From: Mail Delivery System <Mailer-Daemon@mx.example.com>\nTo: news@example.com\n" +
			"Subject: Mail delivery failed: returning message to sender\n\n" +
			"This message was created automatically by mail delivery software.\n\n" +
			"A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n" +
			"  \"j.smith\"@example.org\n    host mx.example.org [192.0.2.1]\n    SMTP error from remote mail server after RCPT TO:<\"j.smith\"@example.org>:\n" +
			"    552 5.2.2 Mailbox full\n",
			`"j.smith"@example.org`, "552"},
		"quoted whole": {"From: MAILER-DAEMON@mx.example.com\nTo: news@example.com\nReturn-Path: <>\nSubject: failure notice\n\n" +
			"Your message could not be delivered to \"bob@example.net\".\nRemote host said: 550 5.1.1 No such user\n",
			"bob@example.net", "550"},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := Parse([]byte(c.msg))
			require.NoError(t, err)
			require.Len(t, b.Recipients, 1, "%+v", b.Recipients)
			assert.Equal(t, c.addr, b.Recipients[0].Address)
			assert.Equal(t, c.reply, b.Recipients[0].ReplyCode)
			assert.NotContains(t, b.Recipients[0].Diagnostic, c.addr+" ", "the address's own line is no part of the reason")
		})
	}
	for in, want := range map[string]string{
		`"john doe"@example.org`: `"john doe"@example.org`, `<"J.Smith"@Example.org>`: `"j.smith"@example.org`,
		`"a\"b"@example.org,`: `"a\"b"@example.org`, `"bob@example.com"`: "bob@example.com",
		`'bob@example.com'`: "bob@example.com", `<bob@example.com>:`: "bob@example.com",
	} {
		assert.Equal(t, want, normAddr(in), in)
	}
	for in, want := range map[string]string{
		`to "john doe"@example.org now`: `"john doe"@example.org`, `<"a\"b"@example.org>`: `"a\"b"@example.org`,
		`"x" and y@example.org`: "y@example.org", `"bob@example.com" <bob@example.com>`: "bob@example.com",
	} {
		i, j := addrIndex(in)
		if assert.True(t, i >= 0, in) {
			assert.Equal(t, want, in[i:j], in)
		}
		checkAddrIndex(t, in)
	}
}

// The one scan of an ASCII text finds the words of a report of delivery in
// its opening as a search of their own does.
func TestDeliverySaidAgrees(t *testing.T) {
	pad := strings.Repeat("x ", deliveryOpening/2)
	for _, text := range []string{"", "Your message was delivered to the following recipients:\n",
		"Delivery to these recipients or groups is complete\n", pad + "was delivered to the following\n",
		"Hello\n" + pad[:deliveryOpening-40] + "successfully delivered to bob\n", "undeliverable\n",
		"Delivery to these recipients or groups is complete\n----- Original message -----\nx\n"} {
		f := findPhrases(lowerText(text))
		require.True(t, f.scanned)
		opening := f.text.search()
		if len(opening) > deliveryOpening {
			opening = opening[:deliveryOpening]
		}
		assert.Equal(t, deliveryPhraseMatcher.Any(opening), f.deliverySaid(), "%.60q", text)
	}
}
