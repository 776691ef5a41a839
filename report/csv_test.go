package report

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCSVDefusesFormulas(t *testing.T) {
	var b strings.Builder
	w, err := NewWriter(&b, "csv", Options{})
	require.NoError(t, err)
	require.NoError(t, w.Add(&Record{Recipient: "a@example.org", Subject: "=HYPERLINK(\"http://x\")", Diagnostic: "550 no", Sender: "@evil"}))
	require.NoError(t, w.Close(nil))
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, "'=HYPERLINK(\"http://x\")", rows[1][18])
	assert.Equal(t, "'@evil", rows[1][17])
	assert.Equal(t, "550 no", rows[1][10])
}
