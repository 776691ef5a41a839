package mailbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/stretchr/testify/require"

	"github.com/bouncer-mail/bouncer/internal/dovecottest"
	"github.com/bouncer-mail/bouncer/mailbox"
)

// TestDovecotOAuth logs in to a real Dovecot with OAUTHBEARER and XOAUTH2.
// Dovecot's oauth2 passdb checks each token with an RFC 7662 introspection
// request to a server this test runs: it answers that the good token is
// active for the test user, and that any other token is not.
func TestDovecotOAuth(t *testing.T) {
	var asked atomic.Int32
	introspect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("token") != goodToken {
			json.NewEncoder(w).Encode(map[string]any{"active": false})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"active": true, "username": dovecottest.User})
	}))
	defer introspect.Close()

	// The auth process runs as the dovecot user: its files must be
	// readable by it.
	dir, err := os.MkdirTemp("", "bouncer-oauth-")
	require.NoError(t, err)
	defer os.RemoveAll(dir)
	require.NoError(t, os.Chmod(dir, 0o755))
	ext := filepath.Join(dir, "dovecot-oauth2.conf.ext")
	require.NoError(t, os.WriteFile(ext, []byte(fmt.Sprintf(`introspection_mode = post
introspection_url = %s/introspect
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
`, introspect.URL)), 0o644))
	srv := dovecottest.Start(t,
		"auth_mechanisms = plain login oauthbearer xoauth2",
		"passdb {\n  driver = oauth2\n  mechanisms = oauthbearer xoauth2\n  args = "+ext+"\n}")
	srv.Deliver(t, "INBOX", samples(t)["dsn-rate-limit.eml"], "", time.Time{})

	u, err := mailbox.ParseIMAPURL(srv.URL(true, "INBOX"))
	require.NoError(t, err)
	for _, mech := range []string{mailbox.AuthOAuthBearer, mailbox.AuthXOAuth2} {
		t.Run(mech, func(t *testing.T) {
			token := func() (string, error) { return goodToken, nil }
			c, err := mailbox.DialIMAP(context.Background(), u, &mailbox.IMAPOptions{TLSConfig: srv.TLSConfig,
				Auth: mailbox.IMAPAuth{Mechanism: mech, Token: token}}, nil)
			require.NoError(t, err, "dovecot log:\n%s", srv.Log())
			sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
			require.NoError(t, err, "logged in with the token")
			require.Equal(t, uint32(1), sel.NumMessages)
			c.Close()

			bad := func() (string, error) { return "expired-token", nil }
			_, err = mailbox.DialIMAP(context.Background(), u, &mailbox.IMAPOptions{TLSConfig: srv.TLSConfig,
				Auth: mailbox.IMAPAuth{Mechanism: mech, Token: bad}}, nil)
			require.Error(t, err, "a token the introspection refuses")
			require.NotContains(t, err.Error(), "expired-token", "the token is never printed")
		})
	}
	require.GreaterOrEqual(t, asked.Load(), int32(4), "Dovecot asked the introspection server")
}
