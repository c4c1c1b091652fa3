// The HMAC algorithms a token's codes are made with: RFC 6238's for TOTP,
// which RFC 4226's HOTP fobs use too, as authenticator apps and key fobs
// offer them. A leaf, so that the settings (new users' default), the tokens
// table (the stored value, also held to this set by a CHECK in each store
// adapter's schema) and the code checks (auth/totp.ts, auth/hotp.ts) can all
// name it without depending on one another.
export type Algorithm = 'SHA1' | 'SHA256' | 'SHA512';
