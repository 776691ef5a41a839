// Package classify decides what a failure means: from a recipient's status
// code, reply code and diagnostic text (and the bounce's context) it returns a
// Verdict with a reason, hard or soft, whose move it is and a recommended
// action. It knows reasons, not input formats: the decision is made by asking
// a rule set (package rules), the user's rules first, then the built-in ones.
package classify

import (
	"strconv"
	"strings"
	"sync"

	"github.com/bouncer-mail/bouncer/rules"
)

// Input is what classify needs to know of one recipient of one bounce.
type Input struct {
	Kind    string // parser kind: dsn, ndr, feedback, auto-reply
	Decoder string
	Action  string // failed, delayed, delivered, ...
	Command string // SMTP command the failure answered (RCPT, DATA, ...), "" when unknown
	// DiagnosticType is the type of the DSN's Diagnostic-Code: smtp, x-unix, ...
	DiagnosticType string
	// Category is the sending MTA's own class of the failure, when its
	// report gives one (PowerMTA's bounce category: bad-mailbox, ...).
	Category string
	// FeedbackType is an ARF report's Feedback-Type: abuse, auth-failure, ...
	FeedbackType string
	Status       string // enhanced status code, "" when none
	ReplyCode    string // SMTP reply code, "" when none
	Diagnostic   string
	RemoteMTA    string
	Recipient    string
	Sender       string
}

// Verdict is the decision for one recipient.
type Verdict struct {
	Reason string
	Hard   bool
	// Side is whose move it is: "sender", "recipient", "transient" or "none".
	Side string
	// Action is the recommended action id, ActionText its text.
	Action     string
	ActionText string
	// Status is the input's status, or a pseudo code X.0.9NN naming the
	// reason's class when the bounce carried none.
	Status string
	Label  string
	// Rule, Origin and Hit say what decided the reason.
	Rule   string
	Origin string
	Hit    rules.Hit
}

// Classifier classifies with one rule set.
type Classifier struct {
	set  *rules.Set
	lang string
}

// New returns a classifier over set; lang is "en" or "fr" for action texts.
// A nil set means the built-in rules.
func New(set *rules.Set, lang string) (*Classifier, error) {
	if set == nil {
		var err error
		if set, err = rules.Builtin(); err != nil {
			return nil, err
		}
	}
	if lang != "fr" {
		lang = "en"
	}
	return &Classifier{set: set, lang: lang}, nil
}

// Classify decides the verdict of one input.
func (c *Classifier) Classify(in Input) Verdict {
	// a Subject from the pool: its room for matching is reused
	sub := subjects.Get().(*rules.Subject)
	defer subjects.Put(sub)
	sub.Reset(rules.Subject{
		Status:    in.Status,
		ReplyCode: in.ReplyCode,
		Text:      in.Diagnostic,
		RemoteMTA: in.RemoteMTA,
		Recipient: in.Recipient,
		Sender:    in.Sender,
		Decoder:   in.Decoder,
		Kind:      in.Kind,
		Action:    in.Action,
		Command:   in.Command,
		DiagType:  in.DiagnosticType,
		Category:  in.Category,
		Feedback:  in.FeedbackType,
	})
	v := Verdict{Reason: "undefined", Status: in.Status}
	rule, hit := c.set.Match(sub)
	var dec rules.Decision
	if rule != nil {
		dec = rule.Set
		v.Rule, v.Origin, v.Hit = rule.Name, rule.Origin, hit
	}
	if dec.Reason != "" {
		v.Reason = dec.Reason
	} else if rule != nil {
		// The rule set only hard/side/action/label: take the reason from the
		// rules that follow it.
		v.Reason = c.reasonAfter(sub, rule)
	}
	if in.Action == "delayed" && (v.Reason == "undefined" || v.Reason == "onhold") {
		v.Reason = "expired"
	}
	r, _ := c.set.Reason(v.Reason)
	permanent := isPermanent(in)
	switch {
	case dec.Hard != nil:
		v.Hard = *dec.Hard
	case in.Action == "delayed":
		// a warning: the message is still queued and the next try may
		// work, whatever the reason; nothing is bad for good yet
		v.Hard = false
	case r != nil && r.Hard == "always":
		v.Hard = true
	case r != nil && r.Hard == "permanent":
		v.Hard = permanent
	}
	v.Side = dec.Side
	if v.Side == "" && r != nil {
		v.Side = r.Side
	}
	v.Action = dec.Action
	if v.Action == "" && r != nil {
		v.Action = r.Action
	}
	v.ActionText = c.set.ActionText(v.Action, c.lang)
	v.Label = dec.Label
	if v.Status == "" && r != nil && r.Pseudo > 0 {
		class := "5"
		if !permanent {
			class = "4"
		}
		v.Status = class + ".0." + strconv.Itoa(r.Pseudo) // fmt.Sprintf("%s.0.%d", ...), one allocation
	}
	return v
}

// reasonAfter finds the reason given by the first rule after skip that
// matches and sets one.
func (c *Classifier) reasonAfter(sub *rules.Subject, skip *rules.Rule) string {
	r, _ := c.set.MatchAfter(sub, skip, func(r *rules.Rule) bool { return r.Set.Reason != "" })
	if r == nil {
		return "undefined"
	}
	return r.Set.Reason
}

// subjects keeps rules.Subjects from one Classify to the next.
var subjects = sync.Pool{New: func() any { return new(rules.Subject) }}

// isPermanent tells a permanent (5xx) failure from a temporary one.
func isPermanent(in Input) bool {
	if in.Action == "delayed" {
		return false
	}
	if strings.HasPrefix(in.Status, "4") {
		return false
	}
	if in.Status == "" && strings.HasPrefix(in.ReplyCode, "4") {
		return false
	}
	return true
}
