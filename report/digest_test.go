package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestDigestHTMLEscapes(t *testing.T) {
	d := &Digest{From: time.Unix(0, 0), To: time.Unix(86400, 0), Totals: DigestTotals{Messages: 1, Unreadable: 1},
		Unreadable: []Unreadable{{Source: "x.eml", Error: `<script>alert("x")</script>`}}}
	var b bytes.Buffer
	if err := WriteDigest(&b, d, "html"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "<script>") || !strings.Contains(out, "&lt;script&gt;") {
		t.Errorf("not escaped:\n%s", out)
	}
	if strings.Contains(out, "<style") || strings.Contains(out, `id="blocks"`) {
		t.Errorf("style block or empty section:\n%s", out)
	}
	b.Reset()
	WriteDigest(&b, d, "markdown")
	if strings.Contains(b.String(), "<script>") {
		t.Errorf("markdown not escaped:\n%s", b.String())
	}
	b.Reset()
	WriteDigest(&b, d, "text")
	if !strings.Contains(b.String(), "Messages that could not be read") || strings.Contains(b.String(), "Blocked") {
		t.Errorf("text:\n%s", b.String())
	}
	if err := WriteDigest(&b, d, "pdf"); err == nil || !strings.HasPrefix(err.Error(), "report: ") {
		t.Errorf("unknown format: %v", err)
	}
}

// Every heading, label and note of the digest has its French, and the
// French digest uses it.
func TestDigestFrench(t *testing.T) {
	d := &Digest{From: time.Unix(0, 0), To: time.Unix(86400, 0), Scope: "new", Lang: "fr",
		Totals:       DigestTotals{Messages: 3, Bounces: 2, Hard: 1, Soft: 1, Unreadable: 1},
		Read:         &DigestRead{Messages: 5, AlreadyStored: 2},
		Blocks:       []BlockProblem{{Reason: "blocked", RemoteHost: "mx.example.net", IPs: []string{"192.0.2.1"}, Count: 1}},
		AuthFailures: []AuthProblem{{Domain: "example.com", Count: 1}},
		RateLimits:   []RateHour{{Hour: time.Unix(3600, 0), Account: "a@example.com", Speeding: 3, Bounces: 3, Limit: 2, Over: true}},
		SMTPAuth:     []SMTPAuthFail{{Account: "a@example.com", Count: 1}},
		Reasons:      []ReasonTrend{{Reason: "userunknown", Count: 1}},
		TopDomains:   []NameCount{{Name: "example.org", Count: 1}},
		TopProviders: []NameCount{{Name: "example.net", Count: 1}},
		NewHard:      []AddressLine{{Address: "b@example.org", Reason: "userunknown"}},
		RepeatedSoft: []SoftLine{{Address: "c@example.org", Count: 2, Days: 2}},
		Unreadable:   []Unreadable{{Source: "x.eml", Error: "no header"}},
		Unclassified: []AddressLine{{Address: "d@example.org"}},
	}
	// Every English string the sections use has a French entry.
	en := *d
	en.Lang = "en"
	var words []string
	for _, s := range en.sections() {
		words = append(words, s.Title)
		words = append(words, s.Cols...)
	}
	for _, w := range words {
		if _, ok := digestFR[w]; !ok && w != "" {
			t.Errorf("no French for %q", w)
		}
	}
	for _, format := range []string{"text", "markdown", "html"} {
		var b bytes.Buffer
		if err := WriteDigest(&b, d, format); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{"synthèse du", "Totaux", "Bloqué par des serveurs distants", "Vérifiez si 192.0.2.1", "DÉPASSÉ 2/h", "Rebonds non classés", "nouveau", "Lus par cette exécution", "Déjà dans l", "Nouveaux messages"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: no %q in\n%s", format, want, out)
			}
		}
		for _, english := range []string{"Totals", "Blocked by", "Spread your sending"} {
			if strings.Contains(out, english) {
				t.Errorf("%s: English %q left in\n%s", format, english, out)
			}
		}
	}
}
