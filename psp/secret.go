package psp

import "log/slog"

// Secret is a credential or token. It prints and logs as REDACTED; call
// Reveal only where the value must go on the wire.
type Secret string

// String implements fmt.Stringer without revealing the value.
func (Secret) String() string { return "REDACTED" }

// GoString implements fmt.GoStringer without revealing the value.
func (Secret) GoString() string { return "REDACTED" }

// LogValue implements slog.LogValuer without revealing the value.
func (Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// Credentials are what ConnectPSP issues at onboarding (API digest §2).
type Credentials struct {
	ClientID         string
	ClientSecret     Secret
	ApplicationToken Secret
	// CryptoToken verifies webhook signatures and signs refunds.
	CryptoToken Secret
}

// LogValue implements slog.LogValuer: only the client id is shown.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("clientId", c.ClientID), slog.String("secrets", "REDACTED"))
}
