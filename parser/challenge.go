package parser

import (
	"github.com/bouncer-mail/bouncer/internal/multimatch"
)

// challengeAsks are the words with which a challenge-response system asks
// the sender to prove itself: to confirm, to verify, to be put on a list of
// approved senders.
var challengeAsks = []string{"confirm", "verify", "verification", "validate", "validation", "challenge",
	"whitelist", "white list", "white-list", "approved senders", "approve you", "guest list", "safe list",
	"not a robot", "are a human", "are human", "are a person", "real person",
	"bestätigen", "verifizieren", "confirmer", "valider", "liste blanche", "confirmar", "verificar", "confermare"}

// challengeHolds say that the message waits for that proof, rather than
// that it failed: held, pending, delivered once or after the sender acts.
var challengeHolds = []string{"held", "on hold", "pending", "waiting", "awaiting", "waitlisted", "until you",
	"once you", "once i approve", "after you", "as soon as you", "will be released", "will be delivered",
	"will receive your original message", "no need to resend", "not need to resend",
	"zurückgehalten", "sobald sie", "en attente", "dès que vous", "une fois que vous", "en espera", "una vez que",
	"in attesa"}

var (
	challengeAskMatcher  = multimatch.NewFold(challengeAsks)
	challengeHoldMatcher = multimatch.NewFold(challengeHolds)
)

// challengeRequest reports whether a message that reads like a notice is a
// challenge-response system's request that its sender confirm (SpamArrest,
// Boxbe, TMDA, ...): no failure, the message waits for the confirmation.
// Such a request speaks for a person, or a service, not for a mail system
// (its From is none of the bounceSenders), names no failed recipient in its
// header, gives no server's answer of failure (reply or status code of class
// 4 or 5) in its text t, and says both what it asks (challengeAsks) and that
// the message waits for it (challengeHolds), with a link to follow or a
// request to reply.
func challengeRequest(top []Field, t lowered) bool {
	if fromSystem(top) || fieldsGet(top, "X-Failed-Recipients") != "" {
		return false
	}
	l := t.search()
	if !challengeAskMatcher.Any(l) || !challengeHoldMatcher.Any(l) {
		return false
	}
	if !t.contains("http://") && !t.contains("https://") && !t.contains("reply") {
		return false
	}
	reply, status := textCodes(t.t)
	return !failureCode(reply) && !failureCode(status)
}

// failureCode reports whether a reply or status code is of class 4 or 5.
func failureCode(c string) bool {
	return c != "" && (c[0] == '4' || c[0] == '5')
}
