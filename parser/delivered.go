package parser

import (
	"strings"

	"github.com/bouncer-mail/bouncer/internal/multimatch"
)

// deliverySubjects open the subject of a mail system's report that a message
// reached its recipients (Exchange's "Delivered:" and "Relayed:", in some of
// its languages), or are the whole of its sense.
var deliverySubjects = []string{"delivered:", "relayed:", "zugestellt:", "übermittelt:", "remis :", "remis:",
	"entregado:", "recapitato:", "bezorgd:", "levererat:", "доставлено:"}

// deliverySubjectPhrases say anywhere in a subject that the report is one of
// success ("Delivery Status Notification (Success)", "Successful Mail
// Delivery Report").
var deliverySubjectPhrases = []string{"(success)", "successful mail delivery", "successful delivery",
	"delivery success", "delivery confirmation", "delivery receipt"}

// deliveryPhrases say in a report's text that a message reached its
// recipients, or a system that will not report further.
var deliveryPhrases = []string{
	"was delivered to the following", "has been delivered to the following", "were delivered to the following",
	"delivered to the following recipient", "successfully delivered to", "was successfully delivered",
	"has been successfully delivered", "delivered successfully to", "delivery to the following recipients was successful",
	"delivery to the following recipient was successful", "delivery to the following recipients succeeded",
	"delivery to these recipients or groups is complete", "delivery to these recipients or groups was complete",
	"was successfully relayed", "has been relayed to the following", "was relayed to the following",
	"die übermittlung an diese empfänger oder gruppen ist abgeschlossen",
	"la remise à ces destinataires ou groupes est terminée",
	"se completó la entrega a estos destinatarios o grupos",
}

// relayPhrases say that the message left for a system that sends no report
// of delivery: it was relayed, not known to be delivered.
var relayPhrases = []string{"no delivery notification was sent", "relayed to non-dsn-aware", "was successfully relayed",
	"has been relayed", "was relayed to", "keine übermittlungsbenachrichtigung", "aucune notification de remise"}

// failurePhrases say that a report is about a failure or a delay after all,
// whatever it also says of the recipients that were reached: the
// bouncePhrases but those that a report of success may hold as well (its
// own name, a server's quoted answer), and a few more.
var failurePhrases = func() []string {
	var ps []string
	for _, p := range bouncePhrases {
		switch p {
		case "delivery status notification", "said:", "remote host said":
			continue
		}
		ps = append(ps, p)
	}
	return append(ps, "not successfully delivered", "not been delivered", "failed", "rejected", "undeliver",
		"will be retried", "delayed", "fehlgeschlagen", "échec", "error de entrega")
}()

// failureSubjects say in a subject, besides the failurePhrases, that a
// delivery did not succeed.
var failureSubjects = []string{"unsuccessful", "not successful", "failure", "error", "warning", "returned", "bounce",
	"nicht zustellbar", "unzustellbar", "non remis", "échec"}

var (
	failureSubjectMatcher  = multimatch.NewFold(failureSubjects)
	deliverySubjectMatcher = multimatch.NewFold(deliverySubjectPhrases)
	deliveryPhraseMatcher  = multimatch.NewFold(deliveryPhrases)
	relayPhraseMatcher     = multimatch.NewFold(relayPhrases)
	failurePhraseMatcher   = multimatch.NewFold(failurePhrases)
)

// deliveryOpening is how much of a report's text deliveryReport reads for
// its words of success: such a report says what it is at once.
const deliveryOpening = 1500

// deliveryReport reports whether a message from a mail system (top is its
// header) is a plain-text report that the message it speaks of was
// delivered or relayed: its subject or the opening of its report text (of
// f) says so, and nothing in it speaks of a failure or a delay. relayed is
// whether it says the message was relayed rather than delivered.
func deliveryReport(top []Field, subject string, f *finds) (ok, relayed bool) {
	t := f.text
	if fieldsGet(top, "X-Failed-Recipients") != "" || !systemSender(top) {
		return false, false
	}
	// (the subject lowered only when it is not ASCII: no copy of most)
	s := searchForm(strings.TrimSpace(subject))
	bySubject := false
	for _, p := range deliverySubjects {
		if hasPrefixFold(s, 0, p) {
			bySubject = true
			relayed = p == "relayed:"
			break
		}
	}
	if !bySubject && !f.deliverySaid() && !deliverySubjectMatcher.Any(s) {
		return false, false
	}
	if failurePhraseMatcher.Any(s) || failureSubjectMatcher.Any(s) {
		// "Unsuccessful delivery", "Delivery failure": a failure's subject
		return false, false
	}
	if reply, status := textCodes(t.t); failureCode(reply) || failureCode(status) {
		// a server's refusal quoted: a failure, whatever else it says
		return false, false
	}
	opening := t.search()
	if len(opening) > deliveryOpening {
		opening = opening[:deliveryOpening]
	}
	if l := t.search(); failurePhraseMatcher.Any(l) || delayPhraseMatcher.Any(l) {
		return false, false
	}
	return true, relayed || relayPhraseMatcher.Any(opening)
}

// deliveredRecipients reads the recipients a report of delivery names: one
// record each, of action "delivered" or "relayed", with the server's answer
// where the report quotes it. It gives none when the report names no
// address (only the recipients' display names, as Exchange 2003 does).
func (s *scan) deliveredRecipients(b *Bounce, f *finds, relayed bool) []Recipient {
	order, blocks := recipientSegments(f.text.t, s.excluded(b))
	action := "delivered"
	if relayed {
		action = "relayed"
	}
	if b.ReportingMTA == "" {
		b.ReportingMTA = reportingHost(f)
	}
	var out []Recipient
	for _, a := range order {
		diag := stripBoilerplate(cleanBlock(blocks[a], a))
		if len(diag) > maxHumanDiag {
			diag = diag[:maxHumanDiag]
		}
		r := Recipient{Address: a, Action: action, Diagnostic: diag, ReportingMTA: b.ReportingMTA, LastAttempt: b.Date}
		if reply, status := codesFrom(diag, ""); reply != "" && reply[0] == '2' || status != "" && status[0] == '2' {
			// only the answers of success: a code in a report of delivery
			// that says otherwise is another matter (a quoted reference)
			r.ReplyCode, r.Status = reply, status
			if r.ReplyCode != "" && r.ReplyCode[0] != '2' {
				r.ReplyCode = ""
			}
			if r.Status != "" && r.Status[0] != '2' {
				r.Status = ""
			}
		}
		r.RemoteMTA = strings.ToLower(remoteHostOf(diag))
		out = append(out, r)
	}
	return out
}
