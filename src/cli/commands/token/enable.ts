// astotp token enable SERIAL (set-enabled.ts).
import { tokenStateCommand } from './set-enabled.js';

export const command = tokenStateCommand(true);
