// The HMAC algorithms of RFC 6238 that authenticator apps offer. A leaf, so
// that the settings (new users' default), the users table (the stored value,
// also held to this set by a CHECK in each store adapter's schema) and the code check can
// all name it without depending on one another.
export type Algorithm = 'SHA1' | 'SHA256' | 'SHA512';
