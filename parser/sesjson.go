package parser

import (
	"encoding/json"
	"strings"
	"time"
)

// A notification of Amazon SES, as published through SNS (and often received
// by mail): a JSON object whose notificationType is Bounce, Complaint or
// Delivery. Its field names are the ones AWS documents for SES event
// notifications.
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Mail             struct {
		MessageID     string `json:"messageId"`
		Source        string `json:"source"`
		Timestamp     string `json:"timestamp"`
		CommonHeaders struct {
			From      []string `json:"from"`
			To        []string `json:"to"`
			Subject   string   `json:"subject"`
			MessageID string   `json:"messageId"`
			Date      string   `json:"date"`
		} `json:"commonHeaders"`
	} `json:"mail"`
	Bounce    *sesBounce `json:"bounce"`
	Complaint *struct {
		ComplaintFeedbackType string `json:"complaintFeedbackType"`
		UserAgent             string `json:"userAgent"`
		Timestamp             string `json:"timestamp"`
		ComplainedRecipients  []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
	} `json:"complaint"`
	Delivery *struct {
		Timestamp    string   `json:"timestamp"`
		Recipients   []string `json:"recipients"`
		SMTPResponse string   `json:"smtpResponse"`
		ReportingMTA string   `json:"reportingMTA"`
		RemoteMTAIP  string   `json:"remoteMtaIp"`
	} `json:"delivery"`
}

type sesBounce struct {
	BounceType        string         `json:"bounceType"`
	BounceSubType     string         `json:"bounceSubType"`
	ReportingMTA      string         `json:"reportingMTA"`
	RemoteMTAIP       string         `json:"remoteMtaIp"`
	Timestamp         string         `json:"timestamp"`
	BouncedRecipients []sesRecipient `json:"bouncedRecipients"`
}

type sesRecipient struct {
	EmailAddress   string `json:"emailAddress"`
	Action         string `json:"action"`
	Status         string `json:"status"`
	DiagnosticCode string `json:"diagnosticCode"`
}

// sesJSON decodes an SES notification found in a text body (bare, or as the
// Message string of an SNS envelope). It reports false when there is none.
func sesJSON(text string, b *Bounce) bool {
	i := strings.Index(text, `"notificationType"`)
	if i < 0 {
		i = strings.Index(text, `"eventType"`)
	}
	if i < 0 {
		return false
	}
	start := strings.LastIndexByte(text[:i], '{')
	if start < 0 {
		return false
	}
	var n sesNotification
	dec := json.NewDecoder(strings.NewReader(text[start:]))
	if err := dec.Decode(&n); err != nil {
		// An SNS envelope holds the notification as a JSON string.
		var env struct {
			Message string `json:"Message"`
		}
		j := strings.LastIndex(text[:start], `{`)
		switch {
		case j >= 0 && json.NewDecoder(strings.NewReader(text[j:])).Decode(&env) == nil && env.Message != "":
			if json.Unmarshal([]byte(env.Message), &n) != nil {
				return false
			}
		case !sesPartial(text[start:], &n):
			return false
		}
	}
	kind := n.NotificationType
	if kind == "" {
		kind = n.EventType
	}
	h := n.Mail.CommonHeaders
	if b.Original.MessageID == "" {
		b.Original.MessageID = strings.Trim(h.MessageID, "<>")
	}
	if b.Original.From == "" && len(h.From) > 0 {
		b.Original.From = h.From[0]
	}
	if b.Original.To == "" && len(h.To) > 0 {
		b.Original.To = strings.Join(h.To, ", ")
	}
	if b.Original.Subject == "" {
		b.Original.Subject = h.Subject
	}
	b.Decoder = "amazonses"
	switch kind {
	case "Bounce":
		if n.Bounce == nil {
			return false
		}
		b.Kind = KindDSN
		b.ReportingMTA = stripType(n.Bounce.ReportingMTA)
		at := sesTime(n.Bounce.Timestamp)
		for _, r := range n.Bounce.BouncedRecipients {
			rc := Recipient{
				Address:      normAddr(r.EmailAddress),
				Action:       strings.ToLower(r.Action),
				Diagnostic:   foldSpace(stripType(r.DiagnosticCode)),
				ReportingMTA: b.ReportingMTA,
				LastAttempt:  at,
			}
			if rc.Action == "" {
				rc.Action = "failed"
				if n.Bounce.BounceType == "Transient" {
					rc.Action = "delayed"
				}
			}
			rc.ReplyCode, rc.Status = codesFrom(rc.Diagnostic, firstStatus(r.Status))
			b.Recipients = append(b.Recipients, rc)
		}
	case "Complaint":
		if n.Complaint == nil {
			return false
		}
		b.Kind = KindFeedback
		b.FeedbackType = strings.ToLower(n.Complaint.ComplaintFeedbackType)
		if b.FeedbackType == "" {
			b.FeedbackType = "abuse"
		}
		for _, r := range n.Complaint.ComplainedRecipients {
			b.Recipients = append(b.Recipients, Recipient{Address: normAddr(r.EmailAddress), Action: "failed",
				FeedbackType: b.FeedbackType, Diagnostic: n.Complaint.UserAgent, LastAttempt: sesTime(n.Complaint.Timestamp)})
		}
	case "Delivery":
		if n.Delivery == nil {
			return false
		}
		b.Kind = KindDSN
		b.ReportingMTA = n.Delivery.ReportingMTA
		for _, a := range n.Delivery.Recipients {
			rc := Recipient{Address: normAddr(a), Action: "delivered", Diagnostic: n.Delivery.SMTPResponse,
				ReportingMTA: b.ReportingMTA, LastAttempt: sesTime(n.Delivery.Timestamp)}
			rc.ReplyCode, rc.Status = codesFrom(rc.Diagnostic, "")
			b.Recipients = append(b.Recipients, rc)
		}
	default:
		return false
	}
	return len(b.Recipients) > 0
}

func sesTime(v string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// sesPartial reads what it can of a notification cut short (mail clients and
// list software wrap or truncate long lines): the type and the recipients'
// array, each of which is often whole.
func sesPartial(text string, n *sesNotification) bool {
	if strings.Contains(text, `"notificationType":"Bounce"`) || strings.Contains(text, `"eventType":"Bounce"`) {
		n.NotificationType = "Bounce"
		i := strings.Index(text, `"bouncedRecipients":`)
		if i < 0 {
			return false
		}
		n.Bounce = &sesBounce{}
		rest := text[i+len(`"bouncedRecipients":`):]
		if json.NewDecoder(strings.NewReader(rest)).Decode(&n.Bounce.BouncedRecipients) != nil {
			return false
		}
		if strings.Contains(text, `"bounceType":"Transient"`) {
			n.Bounce.BounceType = "Transient"
		}
		return len(n.Bounce.BouncedRecipients) > 0
	}
	return false
}
