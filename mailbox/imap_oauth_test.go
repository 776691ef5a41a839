package mailbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-sasl"
	"github.com/stretchr/testify/require"

	"github.com/bouncer-mail/bouncer/mailbox"
)

const goodToken = "ya29.good-token"

// oauthSession adds OAUTHBEARER and XOAUTH2 to an in-memory session: a
// right token logs the user in with the password the memory server knows.
type oauthSession struct {
	imapserver.Session
	password string
}

func (s oauthSession) AuthenticateMechanisms() []string {
	return []string{sasl.OAuthBearer, "XOAUTH2"}
}

func (s oauthSession) Authenticate(mech string) (sasl.Server, error) {
	switch mech {
	case sasl.OAuthBearer:
		return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if o.Token != goodToken || s.Login(o.Username, s.password) != nil {
				return &sasl.OAuthBearerError{Status: "invalid_token"}
			}
			return nil
		}), nil
	case "XOAUTH2":
		return &xoauth2Server{check: func(user, token string) error {
			if token != goodToken {
				return errors.New("invalid token")
			}
			return s.Login(user, s.password)
		}}, nil
	}
	return nil, errors.New("unsupported mechanism")
}

// xoauth2Server reads the one XOAUTH2 message:
// "user=U\x01auth=Bearer T\x01\x01".
type xoauth2Server struct {
	check func(user, token string) error
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	var user, token string
	for _, part := range strings.Split(string(resp), "\x01") {
		if v, ok := strings.CutPrefix(part, "user="); ok {
			user = v
		}
		if v, ok := strings.CutPrefix(part, "auth=Bearer "); ok {
			token = v
		}
	}
	if err := x.check(user, token); err != nil {
		return nil, true, err
	}
	return nil, true, nil
}

func TestIMAPOAuth(t *testing.T) {
	url, cfg, _ := memServerWith(t, imap.CapSet{imap.CapIMAP4rev1: {}}, func(s imapserver.Session) imapserver.Session {
		return oauthSession{Session: s, password: "pw"}
	})
	u, err := mailbox.ParseIMAPURL(url)
	require.NoError(t, err)
	for _, mech := range []string{mailbox.AuthOAuthBearer, mailbox.AuthXOAuth2} {
		t.Run(mech, func(t *testing.T) {
			token := func() (string, error) { return goodToken, nil }
			c, err := mailbox.DialIMAP(context.Background(), u, &mailbox.IMAPOptions{TLSConfig: cfg,
				Auth: mailbox.IMAPAuth{Mechanism: mech, Token: token}}, nil)
			require.NoError(t, err)
			_, err = c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
			require.NoError(t, err, "logged in with the token")
			c.Close()

			bad := func() (string, error) { return "expired-token", nil }
			_, err = mailbox.DialIMAP(context.Background(), u, &mailbox.IMAPOptions{TLSConfig: cfg,
				Auth: mailbox.IMAPAuth{Mechanism: mech, Token: bad}}, nil)
			require.Error(t, err)
			require.NotContains(t, err.Error(), "expired-token", "the token is never printed")
		})
	}
}
