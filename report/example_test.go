package report_test

import (
	"fmt"
	"os"

	"github.com/bouncer-mail/bouncer/report"
)

func ExampleNewWriter() {
	w, err := report.NewWriter(os.Stdout, "ndjson", report.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	w.Add(&report.Record{
		Source:            "bounces.mbox",
		SourceID:          "bounces.mbox#1",
		Recipient:         "bob@example.com",
		Status:            "5.1.1",
		ReplyCode:         "550",
		Reason:            "userunknown",
		HardBounce:        true,
		Side:              "recipient",
		RecommendedAction: "check-recipient-address",
	})
	if err := w.Close(&report.Summary{Messages: 1, Bounces: 1, Recipients: 1}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"source":"bounces.mbox","source_id":"bounces.mbox#1","kind":"","decoder":"","recipient":"bob@example.com","original_recipient":"","action":"","status":"5.1.1","reply_code":"550","reason":"userunknown","hard_bounce":true,"side":"recipient","recommended_action":"check-recipient-address","action_text":"","diagnostic":"","remote_mta":"","reporting_mta":"","command":"","date":"","feedback_type":"","message_id":"","sender":"","subject":""}
}
