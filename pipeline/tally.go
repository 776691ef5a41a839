package pipeline

import "github.com/bouncer-mail/bouncer/report"

// Tally counts results into a report.Summary.
type Tally struct {
	Summary report.Summary
}

// NewTally returns an empty tally.
func NewTally() *Tally {
	return &Tally{Summary: report.Summary{ByReason: map[string]int{}}}
}

// Add counts one message's result.
func (t *Tally) Add(r *Result) {
	s := &t.Summary
	s.Messages++
	switch {
	case r.Err != nil:
		s.Unreadable++
	case len(r.Records) == 0:
		s.NotBounces++
	default:
		switch r.Records[0].Kind {
		case "auto-reply":
			s.AutoReplies++
		case "feedback":
			if report.IsComplaint(r.Records[0].FeedbackType) {
				s.Complaints++
			} else {
				s.FeedbackReports++
			}
		default:
			if report.IsDeliveryReport(r.Records) {
				s.DeliveryReports++
			} else {
				s.Bounces++
			}
		}
		for i := range r.Records {
			s.Recipients++
			s.ByReason[r.Records[i].Reason]++
		}
	}
}
