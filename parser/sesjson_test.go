package parser

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSESNotification(t *testing.T) {
	data, err := os.ReadFile("testdata/ses-bounce.eml")
	require.NoError(t, err)
	b, err := Parse(data)
	require.NoError(t, err)
	assert.Equal(t, KindDSN, b.Kind)
	assert.Equal(t, "amazonses", b.Decoder)
	require.Len(t, b.Recipients, 2)
	assert.Equal(t, "nina@example.org", b.Recipients[0].Address)
	assert.Equal(t, "5.1.1", b.Recipients[0].Status)
	assert.Equal(t, "550", b.Recipients[0].ReplyCode)
	assert.Equal(t, "omar@example.net", b.Recipients[1].Address)
	assert.Equal(t, "5.2.2", b.Recipients[1].Status)
	assert.Equal(t, "a1-2.smtp-out.example.amazonses.com", b.Recipients[1].ReportingMTA)
	assert.Equal(t, "offers-1@example.com", b.Original.MessageID)
	assert.Equal(t, "Offers", b.Original.Subject)

	// A notification whose line was cut short still gives its recipients.
	cut := string(data[:len(data)-200])
	b, err = Parse([]byte(cut))
	require.NoError(t, err)
	require.Len(t, b.Recipients, 2)
	assert.Equal(t, "omar@example.net", b.Recipients[1].Address)
}

func TestSESComplaint(t *testing.T) {
	msg := "From: no-reply@sns.amazonaws.com\nTo: ops@example.com\nSubject: AWS Notification Message\n\n" +
		`{"notificationType":"Complaint","complaint":{"complaintFeedbackType":"abuse","complainedRecipients":[{"emailAddress":"pat@example.org"}],"timestamp":"2026-11-23T09:00:00.000Z"},"mail":{"commonHeaders":{"subject":"Hi"}}}` + "\n"
	b, err := Parse([]byte(msg))
	require.NoError(t, err)
	assert.Equal(t, KindFeedback, b.Kind)
	assert.Equal(t, "abuse", b.FeedbackType)
	require.Len(t, b.Recipients, 1)
	assert.Equal(t, "pat@example.org", b.Recipients[0].Address)
}
