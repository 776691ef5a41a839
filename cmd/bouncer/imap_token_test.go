package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --oauth2-token-command runs through the shell, learns the account from
// BOUNCER_IMAP_ACCOUNT, and its first output line is the token.
func TestOAuthTokenCommand(t *testing.T) {
	var errb bytes.Buffer
	f := &imapFlags{tokenCommand: `printf 'tok-for-%s\nignored\n' "$BOUNCER_IMAP_ACCOUNT"`}
	env, err := newIMAPEnv(f, strings.NewReader(""), &errb)
	require.NoError(t, err)
	tok, err := env.token("bob@example.com@mail.example.com")
	require.NoError(t, err)
	assert.Equal(t, "tok-for-bob@example.com@mail.example.com", tok)

	f.tokenCommand = "true"
	_, err = env.token("bob@example.com@mail.example.com")
	assert.ErrorContains(t, err, "no token")

	f.tokenCommand = "exit 3"
	_, err = env.token("bob@example.com@mail.example.com")
	assert.ErrorContains(t, err, "--oauth2-token-command")
}
