// Runs in every test file: what its helpers made under the temp dir goes
// when the file is done, not when the whole run is (servers living in those
// dirs are ended first, see beforeTempRemoval).
import { afterAll } from 'vitest';
import { removeTempDirs } from '../helpers/temp.js';

afterAll(removeTempDirs);
