package pipeline

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bouncer-mail/bouncer/classify"
	"github.com/bouncer-mail/bouncer/parser"
)

// shapes are the notices of the common MTAs, each with the place of a
// recipient (%[1]s), of the remote server's answer (%[2]s) and of the
// status code of a delivery-status part (%[3]s).
var shapes = map[string]string{
	"rfc3464": `Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain; charset=utf-8

This is the mail system at host mx.example.com.

<%[1]s>: host mx.example.net[192.0.2.1] said: %[2]s (in reply to RCPT TO
    command)

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; %[1]s
Action: failed
Status: %[3]s
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; %[2]s

--B--
`,
	"postfix": `Subject: Undelivered Mail Returned to Sender
Content-Type: text/plain; charset=utf-8

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

                   The mail system

<%[1]s>: host mx.example.net[192.0.2.1] said: %[2]s (in reply to RCPT TO
    command)
`,
	"exim": `Subject: Mail delivery failed: returning message to sender
Content-Type: text/plain; charset=utf-8

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  %[1]s
    host mx.example.net [192.0.2.1]
    SMTP error from remote mail server after RCPT TO:<%[1]s>:
    %[2]s
`,
	"qmail": `Subject: failure notice
Content-Type: text/plain; charset=utf-8

Hi. This is the qmail-send program at mx.example.com.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<%[1]s>:
192.0.2.1 does not like recipient.
Remote host said: %[2]s
Giving up on 192.0.2.1.
`,
	"courier": `Subject: NOTICE: mail delivery status.
Content-Type: text/plain; charset=utf-8

This is a delivery status notification from mx.example.com,
running the Courier mail server, version 1.0.

---------------------------------------------------------------------------

                           UNDELIVERABLE MAIL

Your message to the following recipients cannot be delivered:

<%[1]s>:
    mx.example.net [192.0.2.1]:
>>> RCPT TO:<%[1]s>
<<< %[2]s

---------------------------------------------------------------------------
`,
	"sendmail": `Subject: Returned mail: see transcript for details
Content-Type: text/plain; charset=utf-8

   ----- The following addresses had permanent fatal errors -----
<%[1]s>
    (reason: %[2]s)

   ----- Transcript of session follows -----
... while talking to mx.example.net.:
>>> RCPT To:<%[1]s>
<<< %[2]s
`,
}

// Each wording of classify's list, answered to RCPT TO and put in the
// notice of each common MTA (Postfix, Exim, qmail, Sendmail, Courier, an
// RFC 3464 report), gets the reason the list gives it: what the
// parser takes out of a notice is the server's answer, whatever the shape
// around it.
func TestWordingsInEachShape(t *testing.T) {
	data, err := os.ReadFile("../classify/testdata/wordings.txt")
	require.NoError(t, err)
	c, err := classify.New(nil, "en")
	require.NoError(t, err)
	codes := regexp.MustCompile(`^([245])\d\d[ -](?:(\d\.\d{1,3}\.\d{1,3}) )?`)
	addr := regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	n := 0
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		want, text, ok := strings.Cut(line, "\t")
		require.True(t, ok, "line %d", i+1)
		// the recipient is the address the answer names, if it names one
		rcpt := fmt.Sprintf("rcpt%d@example.net", i+1)
		if a := addr.FindString(text); a != "" {
			rcpt = a
		}
		status := "5.0.0"
		if m := codes.FindStringSubmatch(text); m != nil {
			status = m[1] + ".0.0"
			if m[2] != "" {
				status = m[2]
			}
		}
		for name, shape := range shapes {
			msg := "From: MAILER-DAEMON@mx.example.com\nTo: sender@example.com\nMIME-Version: 1.0\n" +
				fmt.Sprintf(shape, rcpt, text, status)
			b, err := parser.Parse([]byte(msg))
			require.NoError(t, err, "line %d, %s", i+1, name)
			recs := Classify("shape", "", b, c, false)
			if len(recs) != 1 || !strings.EqualFold(recs[0].Recipient, rcpt) {
				t.Errorf("line %d, %s: %d records for %s: %+v", i+1, name, len(recs), rcpt, recs)
				continue
			}
			if recs[0].Reason != want {
				t.Errorf("line %d, %s: %q: got %s, want %s", i+1, name, text, recs[0].Reason, want)
			}
			n++
		}
	}
	require.Greater(t, n, len(shapes)*300, "wordings tried")
}
