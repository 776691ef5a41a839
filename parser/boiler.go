package parser

import (
	"strings"

	"github.com/bouncer-mail/bouncer/internal/multimatch"
)

// boilerplate lists the sentences bounce writers wrap around the remote
// server's words, lower-cased. Each is cut from a diagnostic with the rest of
// its sentence (up to ". ", ": " or "; "), unless it ends in punctuation
// itself. What remains is the error text the classifier needs.
var boilerplate = []string{
	// Exim
	"this message was created automatically by",
	"a message that you sent could not be delivered to",
	"a message sent by",
	"could not be delivered to one or more of its recipients.",
	"this is a permanent error.",
	"the following address(es) failed:",
	"the following address(es) deferred:",
	// qmail
	"hi. this is the qmail-send program at",
	"i'm afraid i wasn't able to deliver your message to the following addresses.",
	"this is a permanent error; i've given up. sorry it didn't work out.",
	// Postfix
	"this is the mail system at host",
	"i'm sorry to have to inform you that your message could not be",
	"it's attached below.",
	"for further assistance, please send mail to postmaster.",
	"if you do so, please include this problem report.",
	"you can delete your own text from the attached returned message.",
	// DragonFly dma
	"this is the dragonfly mail agent",
	"there was an error delivering your mail to",
	// Gmail
	"technical details of permanent failure:",
	"technical details of temporary failure:",
	"delivery to the following recipient failed permanently:",
	"delivery to the following recipients failed permanently:",
	"delivery to the following recipient has been delayed:",
	"the error that the other server returned was:",
	"the response from the remote server was:",
	"** message not delivered **",
	"** address not found **",
	// OpenSMTPD
	"please note that this is only a temporary failure report.",
	"the message is kept in the queue for up to",
	"you do not need to resend the message to these recipients.",
	"you do not need to re-send the message to these recipients.",
	"an error has occurred while attempting to deliver a message for the following list of recipients:",
	// Sendmail
	"----- transcript of session follows -----",
	"----- the following addresses had permanent fatal errors -----",
	"----- the following addresses had permanent delivery errors -----",
	"----- the following addresses had transient non-fatal errors -----",
	"----- non-delivered information -----",
	// InterScan MSS
	"message from interscan messaging security suite",
	"the following mail could not be delivered.",
	// Exchange
	"your message did not reach some or all of the intended recipients.",
	"did not reach the following recipient(s):",
	"diagnostic information for administrators:",
	"diagnoseinformationen für administratoren:",
	"informations de diagnostic pour les administrateurs",
	"información de diagnóstico para administradores:",
	"informazioni di diagnostica per gli amministratori:",
	"informações de diagnóstico para administradores:",
	// InterMail (Openwave)
	"this message was undeliverable due to the following reason:",
	"the following recipients did not receive this message:",
	"the reasons given by the server are included to help you determine why each recipient was rejected.",
	"please reply to <postmaster@",
}

var boilerplateMatcher = multimatch.NewFold(boilerplate)

// stripBoilerplate removes the writer's set phrases from a folded diagnostic.
// When nothing would remain, the text is kept as it was.
func stripBoilerplate(d string) string {
	out := cutBoilerplate(d)
	if onlyPunct(out) {
		return d
	}
	return out
}

// onlyPunct reports whether s holds nothing but spaces and punctuation.
func onlyPunct(s string) bool {
	return strings.Trim(s, " .:;-*") == ""
}

// cutBoilerplate removes the writer's set phrases from a folded diagnostic,
// and folds the white space of what remains, which may be nothing.
func cutBoilerplate(d string) string {
	l := searchForm(d) // for boilerplateMatcher, which folds ASCII case
	var cut [][3]int   // start, end, phrase
	// Each phrase is cut where it occurs, from the end of its previous cut
	// on; the occurrences of one phrase come in the order of the text.
	var buf [8]multimatch.Match
	for _, m := range boilerplateMatcher.All(l, buf[:0]) {
		if m.Start < cutEnd(cut, m.ID) {
			continue
		}
		p := boilerplate[m.ID]
		j := m.End
		if last := p[len(p)-1]; last != '.' && last != ':' && last != ';' && last != '-' && last != '*' {
			j = sentenceEnd(l, j)
		}
		cut = append(cut, [3]int{m.Start, j, m.ID})
	}
	if len(cut) == 0 {
		return d
	}
	drop := make([]bool, len(d))
	for _, c := range cut {
		for k := c[0]; k < c[1] && k < len(d); k++ {
			drop[k] = true
		}
	}
	// the runs of bytes kept, each copied whole
	var b strings.Builder
	b.Grow(len(d))
	for i := 0; i < len(d); {
		if drop[i] {
			i++
			continue
		}
		j := i + 1
		for j < len(d) && !drop[j] {
			j++
		}
		b.WriteString(d[i:j])
		i = j
	}
	return foldSpace(b.String())
}

// cutEnd returns where the last cut of phrase id ends, 0 when there is none.
func cutEnd(cut [][3]int, id int) int {
	for k := len(cut) - 1; k >= 0; k-- {
		if cut[k][2] == id {
			return cut[k][1]
		}
	}
	return 0
}

// sentenceEnd returns the index just past the end of the sentence that goes
// on at i: a ".", ":" or ";" followed by a space or the end of the text.
func sentenceEnd(l string, i int) int {
	for k := i; k < len(l); k++ {
		switch l[k] {
		case '.', ':', ';':
			if k+1 == len(l) || l[k+1] == ' ' {
				return k + 1
			}
		}
	}
	return len(l)
}
