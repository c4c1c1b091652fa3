// What a caller hears: the prompt files astotp plays (GET DATA and STREAM
// FILE), as the scripted Asterisk records them. Written out here rather than
// taken from src/sounds, so a renamed prompt shows up as a failing test.
export const ID = 'otp/astotp-enter-id';
export const PIN = 'otp/astotp-enter-pin';
export const CODE = 'otp/astotp-enter-code';
export const AGAIN = 'otp/astotp-try-again';
export const FAILED = 'otp/astotp-failed';

/** pbotp: before the challenge, each of its groups, the offer to hear it again. */
export const INTRO = 'otp/astotp-challenge-intro';
export const GROUP = 'otp/astotp-group';
export const REPEAT = 'otp/astotp-challenge-repeat';
