package classify

import (
	"fmt"
	"strings"
	"testing"
)

// benchDiagnostics are diagnostic texts in the shapes servers give them, with
// their codes, to time classification on a realistic mix.
var benchDiagnostics = []struct{ status, reply, text string }{
	{"5.1.1", "550", "550 5.1.1 <%[1]s>: Recipient address rejected: User unknown in virtual mailbox table"},
	{"5.1.1", "550", "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. Learn more at https://support.google.com/mail/?p=NoSuchUser"},
	{"5.1.1", "550", "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"},
	{"5.1.1", "554", "554 delivery error: dd This user doesn't have a yahoo.com account (%[1]s) [0] - mta1234.mail.ne1.yahoo.com"},
	{"", "550", "SMTP error from remote mail server after RCPT TO:<%[1]s>: 550 No such user here"},
	{"5.0.0", "550", "550 <%[1]s>... User unknown"},
	{"5.2.2", "552", "552-5.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm"},
	{"4.2.2", "452", "452 4.2.2 <%[1]s>: Mailbox full, quota exceeded"},
	{"", "", "mailbox is full: retry timeout exceeded"},
	{"5.7.1", "550", "550 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.10"},
	{"5.7.1", "554", "554 5.7.1 Rejected: IP 192.0.2.44 listed at bl.spamcop.net"},
	{"", "550", "550 Your IP address is listed on our blocklist. Contact your provider."},
	{"5.7.1", "550", "550 5.7.1 Message rejected due to the sender's SPF policy: 192.0.2.1 is not designated to send for example.com"},
	{"5.7.26", "550", "550-5.7.26 This mail is unauthenticated, which poses a security risk to the sender and Gmail users, and has been blocked. The sender must authenticate with at least one of SPF or DKIM."},
	{"5.7.509", "550", "550 5.7.509 Access denied, sending domain EXAMPLE.COM does not pass DMARC verification and has a DMARC policy of reject."},
	{"4.7.0", "421", "421-4.7.0 [192.0.2.7] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited."},
	{"4.7.28", "421", "421 4.7.28 Gmail has detected an unusual rate of mail originating from your DKIM domain"},
	{"5.7.1", "550", "550 5.7.1 Too many messages this hour from this account, try again later"},
	{"4.7.1", "450", "450 4.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.8]"},
	{"5.7.25", "550", "550 5.7.25 The IP address sending this message does not have a PTR record setup"},
	{"5.7.1", "554", "554 5.7.1 <%[1]s>: Relay access denied"},
	{"5.1.2", "550", "Host or domain name not found. Name service error for name=example.invalid type=A: Host not found"},
	{"", "", "DNS Error: DNS type 'mx' lookup of example.invalid responded with code NXDOMAIN"},
	{"5.4.4", "", "Sorry, I couldn't find any host named example.invalid. (#5.1.2)"},
	{"4.4.1", "", "connect to mx.example.net[192.0.2.30]:25: Connection timed out"},
	{"4.4.7", "", "delivery temporarily suspended: connect to mx.example.net[192.0.2.30]:25: Connection refused"},
	{"5.4.7", "", "retry timeout exceeded"},
	{"5.3.4", "552", "552 5.3.4 Message size exceeds fixed limit"},
	{"5.2.3", "552", "552 5.2.3 Message length exceeds administrative limit"},
	{"5.7.1", "554", "554 5.7.1 This message has been blocked because it contains a virus (Eicar-Test-Signature)"},
	{"5.7.1", "550", "550 5.7.1 Message rejected as spam by Content Filtering."},
	{"5.7.1", "550", "550-5.7.1 Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked."},
	{"5.2.1", "550", "550 5.2.1 The email account that you tried to reach is disabled."},
	{"5.7.1", "550", "550 5.7.1 Mailbox is frozen. Account is suspended for inactivity."},
	{"5.1.10", "556", "556 5.1.10 Recipient address has null MX"},
	{"5.1.6", "550", "550 5.1.6 User has moved; please try <new@example.org>"},
	{"5.7.0", "530", "530 5.7.0 Must issue a STARTTLS command first"},
	{"5.7.8", "535", "535 5.7.8 Authentication credentials invalid"},
	{"5.5.2", "500", "500 5.5.2 Syntax error, command unrecognized"},
	{"4.3.0", "451", "451 4.3.0 Temporary local problem, please try again later"},
	{"4.3.1", "452", "452 4.3.1 Insufficient system storage"},
	{"4.5.3", "452", "452 4.5.3 Too many recipients"},
	{"4.7.0", "421", "421 4.7.0 Too many concurrent SMTP connections from this IP address; please try again later."},
	{"5.6.0", "554", "554 5.6.0 Message contains invalid header"},
	{"5.7.1", "550", "550 5.7.1 Messages with multiple addresses in From: header are not accepted."},
	{"5.0.0", "550", "550 Benutzer unbekannt: <%[1]s>"},
	{"5.0.0", "550", "550 Utilisateur inconnu / Adresse introuvable"},
	{"5.0.0", "550", "550 El usuario no existe en este servidor"},
	{"5.0.0", "552", "552 La casella di posta del destinatario è piena"},
	{"5.0.0", "550", "550 Пользователь не найден"},
	{"", "", "このメールアドレスは存在しないため、メッセージを配信できませんでした。"},
	{"", "", "收件人地址不存在，邮件无法投递"},
	{"5.0.0", "554", "554 A caixa postal do destinatário está cheia"},
	{"", "", "Your message has been delayed and is still awaiting delivery. Message will be retried for 2 more day(s)"},
	{"", "", ""},
}

func benchInputs() []Input {
	var in []Input
	for i := 0; i < 8; i++ {
		for _, d := range benchDiagnostics {
			addr := fmt.Sprintf("user%d@example%d.org", i, i)
			text := d.text
			if i%2 == 1 {
				text = "host mx" + fmt.Sprint(i) + ".example.net[192.0.2." + fmt.Sprint(i) + "] said: " + text + " (in reply to RCPT TO command)"
			}
			action := "failed"
			if d.status != "" && d.status[0] == '4' {
				action = "delayed"
			}
			in = append(in, Input{
				Kind: "dsn", Decoder: "postfix", Action: action,
				Status: d.status, ReplyCode: d.reply,
				Diagnostic: strings.ReplaceAll(text, "%[1]s", addr), RemoteMTA: "mx.example.net",
				Recipient: addr, Sender: "news@example.com",
			})
		}
	}
	return in
}

func BenchmarkClassify(b *testing.B) {
	c, err := New(nil, "en")
	if err != nil {
		b.Fatal(err)
	}
	in := benchInputs()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Classify(in[i%len(in)])
	}
}
