package mailbox

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// IMAPURL is a parsed imap:// or imaps:// address of one mailbox on a server.
//
//	imaps://postmaster@example.com@ssl0.ovh.net/INBOX
//	imap://user%40example.com@mail.example.com:1143/Bounces/2024
//
// imaps means TLS from the first byte (port 993 by default); imap means
// STARTTLS, which is required (port 143 by default). The user name may hold
// "@" as is or as %40: the host is what follows the last "@". The mailbox is
// the rest of the path, percent-decoded, "/" kept; an empty path is INBOX.
// A password in the URL is refused.
type IMAPURL struct {
	// ImplicitTLS is true for imaps:// and false for imap:// (STARTTLS).
	ImplicitTLS bool
	// User is the login name, decoded.
	User string
	// Host is the server name, without port.
	Host string
	// Port is the TCP port.
	Port int
	// Mailbox is the mailbox name in UTF-8, with "/" as the hierarchy
	// separator as written in the URL.
	Mailbox string
}

// IsIMAPURL reports whether s names an IMAP mailbox rather than a local path.
func IsIMAPURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "imap://") || strings.HasPrefix(l, "imaps://")
}

// ParseIMAPURL parses an imap:// or imaps:// URL.
func ParseIMAPURL(s string) (*IMAPURL, error) {
	fail := func(why string) (*IMAPURL, error) {
		return nil, fmt.Errorf("mailbox: imap URL %q: %s", redactURL(s), why)
	}
	var u IMAPURL
	var rest string
	switch l := strings.ToLower(s); {
	case strings.HasPrefix(l, "imaps://"):
		u.ImplicitTLS, u.Port, rest = true, 993, s[len("imaps://"):]
	case strings.HasPrefix(l, "imap://"):
		u.Port, rest = 143, s[len("imap://"):]
	default:
		return fail("not an imap:// or imaps:// URL")
	}
	authority, path, _ := strings.Cut(rest, "/")
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return fail("no user name (imaps://USER@HOST/MAILBOX)")
	}
	userinfo, hostport := authority[:at], authority[at+1:]
	if strings.Contains(userinfo, ":") {
		return fail("a password does not belong in the URL: use BOUNCER_IMAP_PASSWORD, --password-file or the prompt")
	}
	user, err := url.PathUnescape(userinfo)
	if err != nil || user == "" {
		return fail("bad user name")
	}
	u.User = user
	host, port := hostport, ""
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	}
	if host == "" {
		return fail("no host")
	}
	u.Host = host
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n <= 0 || n > 65535 {
			return fail("bad port " + strconv.Quote(port))
		}
		u.Port = n
	}
	path = strings.TrimSuffix(path, "/")
	if i := strings.IndexByte(path, ';'); i >= 0 {
		path = path[:i] // ;UIDVALIDITY=...;UID=... of a source id
	}
	mbox, err := url.PathUnescape(path)
	if err != nil {
		return fail("bad mailbox name")
	}
	if mbox == "" {
		mbox = "INBOX"
	}
	u.Mailbox = mbox
	return &u, nil
}

// Addr returns "host:port".
func (u *IMAPURL) Addr() string { return net.JoinHostPort(u.Host, strconv.Itoa(u.Port)) }

// Account returns "user@host", the key of the account in messages and in the
// state of incremental runs.
func (u *IMAPURL) Account() string {
	a := u.User + "@" + u.Host
	if (u.ImplicitTLS && u.Port != 993) || (!u.ImplicitTLS && u.Port != 143) {
		a += ":" + strconv.Itoa(u.Port)
	}
	return a
}

// String returns the URL in its canonical form, user and mailbox escaped.
func (u *IMAPURL) String() string {
	scheme := "imap"
	if u.ImplicitTLS {
		scheme = "imaps"
	}
	return scheme + "://" + u.base()
}

// base is "user@host[:port]/mailbox", escaped.
func (u *IMAPURL) base() string {
	host := u.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if (u.ImplicitTLS && u.Port != 993) || (!u.ImplicitTLS && u.Port != 143) {
		host += ":" + strconv.Itoa(u.Port)
	}
	return escapeUser(u.User) + "@" + host + "/" + escapeMailbox(u.Mailbox)
}

// MailboxID returns the id of the mailbox as it stands in message ids:
// "imap://user@host/MAILBOX;UIDVALIDITY=v" (RFC 5092 form, "@" in the user
// name escaped as %40).
func (u *IMAPURL) MailboxID(uidValidity uint32) string {
	return "imap://" + u.base() + ";UIDVALIDITY=" + strconv.FormatUint(uint64(uidValidity), 10)
}

// MessageID returns the source id of one message: MailboxID plus ";UID=u".
func (u *IMAPURL) MessageID(uidValidity, uid uint32) string {
	return u.MailboxID(uidValidity) + ";UID=" + strconv.FormatUint(uint64(uid), 10)
}

// ParseMessageUID returns the UIDVALIDITY and UID at the end of a message id
// made by MessageID.
func ParseMessageUID(id string) (uidValidity, uid uint32, err error) {
	i := strings.LastIndex(id, ";UIDVALIDITY=")
	if i < 0 {
		return 0, 0, errors.New("mailbox: imap id without UIDVALIDITY: " + id)
	}
	v, u, ok := strings.Cut(id[i+len(";UIDVALIDITY="):], ";UID=")
	if !ok {
		return 0, 0, errors.New("mailbox: imap id without UID: " + id)
	}
	nv, err1 := strconv.ParseUint(v, 10, 32)
	nu, err2 := strconv.ParseUint(u, 10, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, errors.New("mailbox: bad imap id: " + id)
	}
	return uint32(nv), uint32(nu), nil
}

func escapeUser(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), "@", "%40")
}

func escapeMailbox(s string) string {
	parts := strings.Split(s, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(url.PathEscape(p), ";", "%3B")
	}
	return strings.Join(parts, "/")
}

// redactURL hides a password a user may have put in a URL, for messages.
func redactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	authority, path, hasPath := strings.Cut(rest, "/")
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return s
	}
	if user, _, ok := strings.Cut(authority[:at], ":"); ok {
		authority = user + ":xxxxx" + authority[at:]
	}
	out := scheme + "://" + authority
	if hasPath {
		out += "/" + path
	}
	return out
}
